package fr.iot.temperature.versions;

import java.io.Serializable;

/**
 * docs/contract.md §3.4: the last version of an id wins, unless it or the version it would
 * replace is older than the watermark minus the allowed lateness.
 */
public record VersionRules(long allowedLatenessMs, long retentionMs) implements Serializable {
    /** The watermark of a message read before its partition had one: nothing is late yet. */
    public static final long NO_WATERMARK = Long.MIN_VALUE;

    public Outcome judge(Version previous, Version next, long watermarkMs) {
        if (watermarkMs != NO_WATERMARK) {
            long horizon = watermarkMs - allowedLatenessMs;
            if (next.eventMs() < horizon) {
                return Outcome.TOO_LATE;
            }
            if (previous != null && previous.eventMs() < horizon) {
                return Outcome.REPLACES_TOO_LATE;
            }
        }
        if (previous == null) {
            return Outcome.NEW;
        }
        return previous.sameAs(next) ? Outcome.DUPLICATE : Outcome.CORRECTION;
    }

    /** Event time after which the id may be forgotten, rounded up to a minute so timers are shared. */
    public long forgetAt(Version version) {
        long moment = version.eventMs() + retentionMs;
        return moment - Math.floorMod(moment, 60_000L) + 60_000L;
    }
}
