package fr.iot.temperature.events;

import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.TableFunction;

/**
 * The reading a message holds, parsed in the JVM when the message is plainly valid; null for
 * every other message, which the Python parser ({@code readings/parser.py}) then judges.
 *
 * <p>"Plainly valid" is the shape {@link FlatObjectScan} is sure of (a flat object, ASCII
 * without escapes) with no key named twice, an ASCII {@code id} that is not blank and not too
 * long, a {@code timestamp} the Python rules accept (from the earliest accepted time to the
 * future margin of the Kafka timestamp), and numbers for {@code lat}, {@code lon} and
 * {@code temperature} within their ranges. Such a message is a reading for the Python parser too,
 * with the same values (property tests hold the two to each other), so the Python worker only
 * has to locate it; a rejection's reason and detail are always the Python parser's. It exists
 * because parsing in the Python worker was most of its time. It takes and gives the table
 * runtime's own data structures, so the planner converts nothing around each call.
 */
@FunctionHint(output = @DataTypeHint(value = PlainReading.ROW_TYPE, bridgedTo = RowData.class))
public class PlainReading extends TableFunction<RowData> {
    static final String ROW_TYPE =
            "ROW<plain_id STRING, plain_event_ms BIGINT, plain_lat DOUBLE, plain_lon DOUBLE, plain_temperature DOUBLE>";
    private static final RowData NOT_PLAIN = new GenericRowData(5);

    private static final byte[] ID = ascii("id");
    private static final byte[] TIMESTAMP = ascii("timestamp");
    private static final byte[] LAT = ascii("lat");
    private static final byte[] LON = ascii("lon");
    private static final byte[] TEMPERATURE = ascii("temperature");

    private transient StringData zoneName;
    private transient ZoneId zone;

    /** Emits exactly one row per message: its reading, or all nulls when it is not plainly one, so none is dropped. */
    public void eval(
            byte[] payload,
            @DataTypeHint(value = "TIMESTAMP_LTZ(3)", bridgedTo = TimestampData.class) TimestampData kafkaTimestamp,
            @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData zoneName,
            long futureMarginMs,
            long earliestMs,
            int maxIdLength,
            double minTemperature,
            double maxTemperature) {
        if (payload == null || kafkaTimestamp == null) {
            collect(NOT_PLAIN);
            return;
        }
        FlatObjectScan.FlatObject members = FlatObjectScan.members(payload);
        if (members == null || members.hasRepeatedKey()) {
            collect(NOT_PLAIN);
            return;
        }
        String id = string(members, ID);
        String stamp = string(members, TIMESTAMP);
        Double lat = number(members, LAT);
        Double lon = number(members, LON);
        Double temperature = number(members, TEMPERATURE);
        if (id == null || stamp == null || lat == null || lon == null || temperature == null
                || id.isBlank() || id.length() > maxIdLength) {
            collect(NOT_PLAIN);
            return;
        }
        Long eventMs = ReadingEventTime.epochMs(stamp, zoneOf(zoneName));
        if (eventMs == null || eventMs < earliestMs || eventMs - kafkaTimestamp.getMillisecond() > futureMarginMs) {
            collect(NOT_PLAIN);
            return;
        }
        if (!(-90.0 <= lat && lat <= 90.0 && -180.0 <= lon && lon <= 180.0
                && minTemperature <= temperature && temperature <= maxTemperature)) {
            collect(NOT_PLAIN);
            return;
        }
        collect(GenericRowData.of(StringData.fromString(id), eventMs, lat, lon, temperature));
    }

    /** The zone, looked up again only when the name changes (it is a constant of the job). */
    private ZoneId zoneOf(StringData name) {
        if (!name.equals(zoneName)) {
            String text = name.toString();
            zone = text.equalsIgnoreCase("UTC") ? ZoneOffset.UTC : ZoneId.of(text);
            zoneName = StringData.fromString(text);
        }
        return zone;
    }

    private static String string(FlatObjectScan.FlatObject members, byte[] name) {
        int member = members.lastIndexOf(name);
        return member >= 0 && members.kind(member) == FlatObjectScan.FlatObject.STRING ? members.text(member) : null;
    }

    /**
     * A JSON number as Python reads it: an integer token exactly, then rounded to the nearest
     * double as {@code float(int)} does (so {@code -0} is 0.0); any other token correctly rounded,
     * as the Python decoders are.
     */
    private static Double number(FlatObjectScan.FlatObject members, byte[] name) {
        int member = members.lastIndexOf(name);
        if (member < 0 || members.kind(member) != FlatObjectScan.FlatObject.NUMBER) {
            return null;
        }
        String token = members.text(member);
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.' || c == 'e' || c == 'E') {
                return Double.parseDouble(token);
            }
        }
        return (double) Long.parseLong(token);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
