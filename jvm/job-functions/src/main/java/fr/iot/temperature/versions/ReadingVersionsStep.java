package fr.iot.temperature.versions;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Row;
import org.apache.flink.util.OutputTag;

/**
 * The versions step as the PyFlink job calls it (through its Java gateway): readings in, value
 * changes out as a changelog, too-late versions on a side output.
 *
 * <p>It runs in the JVM because keyed state and timers are cheap here; from Python every state
 * read and timer crosses a gRPC boundary, which made this step the job's bottleneck.
 */
public final class ReadingVersionsStep {
    /** One counted value; a DELETE row retracts it. */
    public static final TypeInformation<Row> CONTRIBUTION = Types.ROW_NAMED(
            new String[] {"hour_ms", "region", "temperature"}, Types.LONG, Types.STRING, Types.DOUBLE);
    /** A ready-made record of the late topic. */
    public static final TypeInformation<Row> LATE_RECORD =
            Types.ROW_NAMED(new String[] {"late_key", "late_value"}, Types.STRING, Types.STRING);
    static final OutputTag<Row> LATE_READINGS = new OutputTag<>("late-readings", LATE_RECORD);

    private ReadingVersionsStep() {}

    /** Readings with the columns id, event_ms, lat, lon, temperature, region, watermark_ms, in this order. */
    public static SingleOutputStreamOperator<Row> versions(
            DataStream<Row> readings, long allowedLatenessMs, long retentionMs) {
        KeySelector<Row, String> byId = reading -> reading.getFieldAs(ReadingVersions.ID);
        return readings.keyBy(byId, Types.STRING)
                .process(new ReadingVersions(new VersionRules(allowedLatenessMs, retentionMs)), CONTRIBUTION);
    }

    public static DataStream<Row> lateReadings(SingleOutputStreamOperator<Row> versions) {
        return versions.getSideOutput(LATE_READINGS);
    }
}
