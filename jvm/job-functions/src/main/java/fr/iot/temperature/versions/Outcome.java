package fr.iot.temperature.versions;

/** What one message does to the hourly means; the label names its counter ({@code versions_<label>}). */
public enum Outcome {
    NEW("new"),
    CORRECTION("correction"),
    DUPLICATE("duplicate"),
    TOO_LATE("too_late"),
    REPLACES_TOO_LATE("replaces_too_late");

    public final String label;

    Outcome(String label) {
        this.label = label;
    }

    public boolean isLate() {
        return this == TOO_LATE || this == REPLACES_TOO_LATE;
    }
}
