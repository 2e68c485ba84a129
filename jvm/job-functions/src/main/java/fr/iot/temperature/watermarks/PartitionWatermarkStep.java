package fr.iot.temperature.watermarks;

import fr.iot.temperature.tables.InternalRows;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarBinaryType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.util.OutputTag;

/**
 * The partition watermark step as the PyFlink job calls it (through its Java gateway): the parsed
 * messages' table in (kind, id, event_ms, lat, lon, temperature, region, reason,
 * dead_letter_key, dead_letter_value: udfs/parse_and_locate.py's columns, then the source's
 * kafka_partition, event_time, kafka_offset, kafka_timestamp, payload), readings out with their
 * partition's watermark (id, event_ms, lat, lon, temperature, region, watermark_ms: what the
 * versions step reads), rejected messages as a table of ready-made dead letters (k, v), and every
 * message as read, with its UTC event hour, as a table for the archive (kafka_partition,
 * kafka_offset, kafka_timestamp, payload, event_hour).
 */
public final class PartitionWatermarkStep {
    private static final LogicalType STRING = VarCharType.STRING_TYPE;
    public static final InternalTypeInfo<RowData> JUDGED_READING = InternalTypeInfo.ofFields(
            new LogicalType[] {STRING, new BigIntType(false), new DoubleType(false), new DoubleType(false),
                    new DoubleType(false), STRING, new BigIntType()},
            new String[] {"id", "event_ms", "lat", "lon", "temperature", "region", "watermark_ms"});
    public static final InternalTypeInfo<RowData> DEAD_LETTER =
            InternalTypeInfo.ofFields(new LogicalType[] {STRING, STRING}, new String[] {"k", "v"});
    public static final InternalTypeInfo<RowData> ARCHIVED_MESSAGE = InternalTypeInfo.ofFields(
            new LogicalType[] {new IntType(), new BigIntType(), new LocalZonedTimestampType(3),
                    new VarBinaryType(VarBinaryType.MAX_LENGTH), STRING},
            new String[] {"kafka_partition", "kafka_offset", "kafka_timestamp", "payload", "event_hour"});
    static final OutputTag<RowData> REJECTED = new OutputTag<>("rejected-messages", DEAD_LETTER);
    static final OutputTag<RowData> ARCHIVED = new OutputTag<>("archived-messages", ARCHIVED_MESSAGE);

    private PartitionWatermarkStep() {}

    /** Chained to the parse step, so each partition's messages keep their offset order. */
    public static SingleOutputStreamOperator<RowData> readings(StreamTableEnvironment tEnv, Table parsed, long outOfOrdernessMs) {
        return InternalRows.of(tEnv, parsed)
                .process(new PartitionWatermarks(outOfOrdernessMs), JUDGED_READING)
                .uid("partition-watermarks").name("partition watermark");
    }

    public static Table rejected(StreamTableEnvironment tEnv, SingleOutputStreamOperator<RowData> readings) {
        return InternalRows.table(tEnv, readings.getSideOutput(REJECTED));
    }

    /** Every message the source read, from the same scan: the topic is read once for both. */
    public static Table archived(StreamTableEnvironment tEnv, SingleOutputStreamOperator<RowData> readings) {
        return InternalRows.table(tEnv, readings.getSideOutput(ARCHIVED));
    }
}
