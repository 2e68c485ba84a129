package fr.iot.temperature.events;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * The event time a raw message offers the watermark, computed once per message on the Kafka
 * source (the watermark has to be declared there to be tracked per partition).
 *
 * <p>The {@code timestamp} field of the JSON object, read with the rules of
 * {@code readings/timestamps.py} ({@code YYYY-MM-DD HH:MM:SS} in the configured zone, or ISO-8601
 * with an offset; local times in a DST gap and times outside the years 1 to 9999 in UTC refused)
 * and truncated to the second, as {@code oracle/watermark.py} expects. A message that is not a
 * JSON object, has no such string, or whose time lies outside the accepted range (before the
 * earliest accepted time, or beyond the future margin of its Kafka timestamp, the broker's
 * append time) offers the epoch, which never moves a watermark. The Python parser remains the
 * judge of the reading itself.
 */
public class ReadingEventTime extends ScalarFunction {
    private static final Instant NOTHING = Instant.EPOCH;
    private static final JsonFactory JSON = new JsonFactory();
    // readings/timestamps.py's _SHAPE, with groups: date-time, fraction, offset sign, hh, mm.
    private static final Pattern SHAPE = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[T ](\\d{2}:\\d{2}(?::\\d{2})?)(?:[.,](\\d+))?(?:(Z)|([+-])(\\d{2})(?::?(\\d{2}))?)?");
    private static final long DAY_SECONDS = 86_400;
    // readings/timestamps.py's FIRST_MS and LAST_MS: 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
    static final long FIRST_MS = -62_135_596_800_000L;
    static final long LAST_MS = 253_402_300_799_999L;
    private static final byte[] TIMESTAMP = "timestamp".getBytes(StandardCharsets.US_ASCII);

    /**
     * The last call's inputs and answer, per thread. Flink evaluates the function twice for each
     * message, for the watermark's timestamp and then for the column, one call right after the
     * other in the source's thread: the second finds its answer here instead of parsing again.
     */
    private static final ThreadLocal<LastCall> LAST_CALL = ThreadLocal.withInitial(LastCall::new);

    private transient String zoneName;
    private transient ZoneId zone;

    public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(
            byte[] payload,
            @DataTypeHint("TIMESTAMP_LTZ(3)") Instant kafkaTimestamp,
            String zoneName,
            long futureMarginMs,
            long earliestMs) {
        LastCall last = LAST_CALL.get();
        if (last.asked(payload, kafkaTimestamp, zoneName, futureMarginMs, earliestMs)) {
            return last.answer;
        }
        Instant answer = eventTime(payload, kafkaTimestamp, zoneName, futureMarginMs, earliestMs);
        last.remember(payload, kafkaTimestamp, zoneName, futureMarginMs, earliestMs, answer);
        return answer;
    }

    private Instant eventTime(
            byte[] payload, Instant kafkaTimestamp, String zoneName, long futureMarginMs, long earliestMs) {
        String stamp = payload == null ? null : timestampField(payload);
        Long eventMs = stamp == null ? null : epochMs(stamp, zoneOf(zoneName));
        if (eventMs == null
                || eventMs < earliestMs
                || (kafkaTimestamp != null && eventMs - kafkaTimestamp.toEpochMilli() > futureMarginMs)) {
            return NOTHING;
        }
        return Instant.ofEpochMilli(eventMs - Math.floorMod(eventMs, 1000L));
    }

    private static final class LastCall {
        private byte[] payload;
        private Instant kafkaTimestamp;
        private String zoneName;
        private long futureMarginMs;
        private long earliestMs;
        private Instant answer;

        boolean asked(byte[] payload, Instant kafkaTimestamp, String zoneName, long futureMarginMs, long earliestMs) {
            return this.payload != null && Arrays.equals(this.payload, payload)
                    && Objects.equals(this.kafkaTimestamp, kafkaTimestamp) && Objects.equals(this.zoneName, zoneName)
                    && this.futureMarginMs == futureMarginMs && this.earliestMs == earliestMs;
        }

        void remember(byte[] payload, Instant kafkaTimestamp, String zoneName, long futureMarginMs, long earliestMs,
                      Instant answer) {
            this.payload = payload == null ? null : payload.clone();  // the caller's array may be reused
            this.kafkaTimestamp = kafkaTimestamp;
            this.zoneName = zoneName;
            this.futureMarginMs = futureMarginMs;
            this.earliestMs = earliestMs;
            this.answer = answer;
        }
    }

    private ZoneId zoneOf(String name) {
        if (!name.equals(zoneName)) {
            zone = name.equalsIgnoreCase("UTC") ? ZoneOffset.UTC : ZoneId.of(name);
            zoneName = name;
        }
        return zone;
    }

    /** The top-level {@code timestamp} string (the last one if repeated), or null; null for invalid JSON. */
    static String timestampField(byte[] payload) {
        FlatObjectScan.FlatObject members = FlatObjectScan.members(payload);
        if (members == null) {
            return parsedTimestampField(payload);
        }
        int member = members.lastIndexOf(TIMESTAMP);
        return member >= 0 && members.kind(member) == FlatObjectScan.FlatObject.STRING ? members.text(member) : null;
    }

    private static String parsedTimestampField(byte[] payload) {
        // Decoded with replacement first, as the oracle does, so bad bytes inside a string do not void the message.
        String text = new String(payload, StandardCharsets.UTF_8);
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String found = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("timestamp")) {
                    found = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return parser.nextToken() == null ? found : null;
        } catch (java.io.IOException | RuntimeException invalid) {
            return null;
        }
    }

    /** readings/timestamps.py's epoch_ms, or null where it raises InvalidTimestamp. */
    static Long epochMs(String text, ZoneId zone) {
        Long epochMs = placedEpochMs(text, zone);
        return epochMs == null || epochMs < FIRST_MS || epochMs > LAST_MS ? null : epochMs;
    }

    private static Long placedEpochMs(String text, ZoneId zone) {
        if (isBriefForm(text)) {
            try {
                return localEpochMs(LocalDateTime.of(digits(text, 0, 4), digits(text, 5, 7), digits(text, 8, 10),
                        digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19)), 0, zone);
            } catch (DateTimeException invalid) {
                return null;
            }
        }
        Matcher shape = SHAPE.matcher(text);
        if (!shape.matches()) {
            return null;
        }
        try {
            String clock = shape.group(2).length() == 5 ? shape.group(2) + ":00" : shape.group(2);
            LocalDateTime local = LocalDateTime.parse(shape.group(1) + "T" + clock);
            long millis = fractionMillis(shape.group(3));
            if (shape.group(4) != null || shape.group(5) != null) {
                long offsetSeconds = shape.group(5) == null ? 0 : offsetSeconds(shape.group(5), shape.group(6), shape.group(7));
                return (local.toEpochSecond(ZoneOffset.UTC) - offsetSeconds) * 1000 + millis;
            }
            return localEpochMs(local, millis, zone);
        } catch (DateTimeException | ArithmeticException invalid) {
            return null;
        }
    }

    /** A naive local time placed in {@code zone}; null when a DST change skipped it. */
    private static Long localEpochMs(LocalDateTime local, long millis, ZoneId zone) {
        if (zone == ZoneOffset.UTC) {
            return local.toEpochSecond(ZoneOffset.UTC) * 1000 + millis;
        }
        var offsets = zone.getRules().getValidOffsets(local);
        if (offsets.isEmpty()) {
            return null; // skipped by a DST change: the time does not exist
        }
        // Twice in the autumn: the first, the earlier offset in the list (PEP 495's fold=0).
        return local.toEpochSecond(offsets.get(0)) * 1000 + millis;
    }

    /** The brief's {@code YYYY-MM-DD HH:MM:SS}, checked without a regular expression (nearly every message). */
    private static boolean isBriefForm(String text) {
        if (text.length() != 19) {
            return false;
        }
        for (int i = 0; i < 19; i++) {
            char c = text.charAt(i);
            boolean ok = switch (i) {
                case 4, 7 -> c == '-';
                case 10 -> c == ' ';
                case 13, 16 -> c == ':';
                default -> c >= '0' && c <= '9';
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (text.charAt(i) - '0');
        }
        return value;
    }

    private static long fractionMillis(String digits) {
        if (digits == null) {
            return 0;
        }
        String micros = (digits + "000000").substring(0, 6); // Python keeps microseconds, drops the rest
        return Long.parseLong(micros) / 1000;
    }

    private static long offsetSeconds(String sign, String hours, String minutes) {
        int hh = Integer.parseInt(hours);
        int mm = minutes == null ? 0 : Integer.parseInt(minutes); // Python takes +01:75 as 2 h 15 min
        long seconds = hh * 3600L + mm * 60L;
        if (seconds >= DAY_SECONDS) {
            throw new DateTimeException("offset of a day or more");
        }
        return sign.equals("-") ? -seconds : seconds;
    }
}
