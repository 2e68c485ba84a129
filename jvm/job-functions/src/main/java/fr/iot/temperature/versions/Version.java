package fr.iot.temperature.versions;

/** One version of a reading, as the versions step keeps the winner of an id. */
public record Version(long eventMs, double lat, double lon, double temperature, String region) {
    public static final long HOUR_MS = 3_600_000L;

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
