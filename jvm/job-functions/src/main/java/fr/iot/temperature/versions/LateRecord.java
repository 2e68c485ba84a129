package fr.iot.temperature.versions;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The value of {@code sensor.readings.late}: the reading, the watermark that judged it, and why. */
final class LateRecord {
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private LateRecord() {}

    static String json(String id, Version version, long watermarkMs, Outcome outcome) {
        String detail = outcome == Outcome.TOO_LATE
                ? "its event time is older than watermark minus allowed lateness"
                : "the version it would replace is older than watermark minus allowed lateness";
        return "{\"id\": " + quoted(id)
                + ", \"timestamp\": " + quoted(ISO_MILLIS.format(Instant.ofEpochMilli(version.eventMs())))
                + ", \"lat\": " + version.lat()
                + ", \"lon\": " + version.lon()
                + ", \"temperature\": " + version.temperature()
                + ", \"region\": " + quoted(version.region())
                + ", \"watermark\": " + quoted(ISO_MILLIS.format(Instant.ofEpochMilli(watermarkMs)))
                + ", \"reason\": \"too_late\", \"detail\": " + quoted(detail) + "}";
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
