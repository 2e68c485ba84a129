package fr.iot.temperature.versions;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** One version of a reading, as the versions step keeps the winner of an id. */
public record Version(long eventMs, double lat, double lon, double temperature, String region) {
    public static final long HOUR_MS = 3_600_000L;
    private static final int NUMBERS_BYTES = 4 * Long.BYTES;

    /**
     * The version as the versions step stores it: four 8-byte numbers, then the region in UTF-8.
     * A fixed layout read and written in one pass; Flink's POJO serializer, which kept it
     * before, goes through reflection and a null flag per field on every state read and write.
     */
    public byte[] toBytes() {
        byte[] name = region.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(NUMBERS_BYTES + name.length)
                .putLong(eventMs).putDouble(lat).putDouble(lon).putDouble(temperature).put(name)
                .array();
    }

    public static Version fromBytes(byte[] stored) {
        ByteBuffer buffer = ByteBuffer.wrap(stored);
        return new Version(buffer.getLong(), buffer.getDouble(), buffer.getDouble(), buffer.getDouble(),
                new String(stored, NUMBERS_BYTES, stored.length - NUMBERS_BYTES, StandardCharsets.UTF_8));
    }

    public long hourMs() {
        return eventMs - Math.floorMod(eventMs, HOUR_MS);
    }

    /** Same values as the oracle compares them: {@code 0.0} and {@code -0.0} are one temperature. */
    public boolean sameAs(Version other) {
        return other != null
                && eventMs == other.eventMs
                && lat == other.lat
                && lon == other.lon
                && temperature == other.temperature
                && region.equals(other.region);
    }
}
