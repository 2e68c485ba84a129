package fr.iot.temperature.versions;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * A record of {@code sensor.readings.late}: keyed by the reading's id, valued with the reading,
 * the watermark that judged it, and why.
 *
 * <p>Bounded by construction, like {@code readings/rejected.py}: a record the producer refuses
 * would stop the job for good, so key and value never exceed {@link #MAX_RECORD_BYTES} in UTF-8.
 * The id is the one field without a bound of its own (the job takes ids as long as
 * {@code IOT_RULES_MAX_ID_LENGTH} allows): past {@code MAX_RECORD_BYTES / 16} bytes it is cut, in
 * the key and in the value, and the value says {@code "truncated": true} with
 * {@code original_bytes}, the size the record would have had.
 */
public final class LateRecord {
    /** Key and value bytes of one dead-letter record: {@code readings.rejected.MAX_RECORD_BYTES}. */
    public static final int MAX_RECORD_BYTES = 1_000_000;
    static final int MAX_ID_BYTES = MAX_RECORD_BYTES / 16;
    // 'uuuu' is the proleptic year, as ISO-8601 and Python number it ('yyyy' would print year 0 as 0001).
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private LateRecord() {}

    /** The (key, value) row the late sink writes. */
    public static RowData record(String id, Version version, long watermarkMs, Outcome outcome) {
        String kept = utf8Start(id, MAX_ID_BYTES);
        String value = json(kept, version, watermarkMs, outcome);
        if (kept.length() < id.length()) {
            int original = utf8Size(id) + utf8Size(json(id, version, watermarkMs, outcome));
            value = value.substring(0, value.length() - 1) + ", \"truncated\": true, \"original_bytes\": " + original + "}";
        }
        return GenericRowData.of(StringData.fromString(kept), StringData.fromString(value));
    }

    static String json(String id, Version version, long watermarkMs, Outcome outcome) {
        String detail = outcome == Outcome.TOO_LATE
                ? "its event time is older than watermark minus allowed lateness"
                : "the version it would replace is older than watermark minus allowed lateness";
        return "{\"id\": " + quoted(id)
                + ", \"timestamp\": " + quoted(utcText(version.eventMs()))
                + ", \"lat\": " + version.lat()
                + ", \"lon\": " + version.lon()
                + ", \"temperature\": " + version.temperature()
                + ", \"region\": " + quoted(version.region())
                + ", \"watermark\": " + quoted(utcText(watermarkMs))
                + ", \"reason\": \"too_late\", \"detail\": " + quoted(detail) + "}";
    }

    /** ISO-8601 in UTC with milliseconds, any epoch millisecond (years past 9999 or before 1 get a sign). */
    public static String utcText(long epochMs) {
        return ISO_MILLIS.format(Instant.ofEpochMilli(epochMs));
    }

    /** The longest start of {@code text} whose UTF-8 takes at most {@code maxBytes}, never half a character. */
    static String utf8Start(String text, int maxBytes) {
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int codePoint = text.codePointAt(end);
            bytes += utf8Size(codePoint);
            if (bytes > maxBytes) {
                break;
            }
            end += Character.charCount(codePoint);
        }
        return text.substring(0, end);
    }

    static int utf8Size(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** An unpaired surrogate counts 3: the most any encoder writes for it ('?' or U+FFFD). */
    private static int utf8Size(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }

    /** A JSON string literal; ids are whatever the sensors sent, so everything below U+0020 is escaped. */
    static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
