package fr.iot.temperature.versions;

import fr.iot.temperature.tables.InternalRows;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.util.OutputTag;

/**
 * The versions step as the PyFlink job calls it (through its Java gateway): readings in, each
 * change of a counted value out as a signed contribution, too-late versions as a table of
 * ready-made late records.
 *
 * <p>It runs in the JVM because keyed state and timers are cheap here; from Python every state
 * read and timer crossed a gRPC boundary, which made this step the job's bottleneck.
 */
public final class ReadingVersionsStep {
    private static final LogicalType STRING = VarCharType.STRING_TYPE;
    /**
     * One counted value with its weight: +1 adds it to its hour and region, -1 takes it back.
     * Signs rather than retractions keep the stream insert-only, so it enters the aggregation as is.
     */
    public static final InternalTypeInfo<RowData> CONTRIBUTION = InternalTypeInfo.ofFields(
            new LogicalType[] {new BigIntType(false), STRING, new DoubleType(false), new IntType(false)},
            new String[] {"hour_ms", "region", "temperature", "weight"});
    /** A ready-made record of the late topic. */
    public static final InternalTypeInfo<RowData> LATE_RECORD =
            InternalTypeInfo.ofFields(new LogicalType[] {STRING, STRING}, new String[] {"late_key", "late_value"});
    static final OutputTag<RowData> LATE_READINGS = new OutputTag<>("late-readings", LATE_RECORD);

    private ReadingVersionsStep() {}

    /** Readings with the columns id, event_ms, lat, lon, temperature, region, watermark_ms, in this order. */
    public static SingleOutputStreamOperator<RowData> versions(
            DataStream<RowData> readings, long allowedLatenessMs, long retentionMs) {
        KeySelector<RowData, StringData> byId = reading -> reading.getString(ReadingVersions.ID);
        return readings.keyBy(byId, InternalTypeInfo.of(STRING))
                .process(new ReadingVersions(new VersionRules(allowedLatenessMs, retentionMs)), CONTRIBUTION);
    }

    public static Table lateReadings(StreamTableEnvironment tEnv, SingleOutputStreamOperator<RowData> versions) {
        return InternalRows.table(tEnv, versions.getSideOutput(LATE_READINGS));
    }
}
