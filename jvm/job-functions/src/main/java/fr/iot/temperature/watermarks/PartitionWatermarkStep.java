package fr.iot.temperature.watermarks;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Row;
import org.apache.flink.util.OutputTag;

/**
 * The partition watermark step as the PyFlink job calls it (through its Java gateway): parsed
 * messages in (kind, id, event_ms, lat, lon, temperature, region, reason,
 * dead_letter_key, dead_letter_value, kafka_partition, event_time: udfs/parse_and_locate.py's columns), readings out with their partition's watermark
 * (id, event_ms, lat, lon, temperature, region, watermark_ms: what the versions step reads),
 * rejected messages on a side output as ready-made dead letters (k, v).
 */
public final class PartitionWatermarkStep {
    public static final TypeInformation<Row> JUDGED_READING = Types.ROW_NAMED(
            new String[] {"id", "event_ms", "lat", "lon", "temperature", "region", "watermark_ms"},
            Types.STRING, Types.LONG, Types.DOUBLE, Types.DOUBLE, Types.DOUBLE, Types.STRING, Types.LONG);
    public static final TypeInformation<Row> DEAD_LETTER = Types.ROW_NAMED(new String[] {"k", "v"}, Types.STRING, Types.STRING);
    static final OutputTag<Row> REJECTED = new OutputTag<>("rejected-messages", DEAD_LETTER);

    private PartitionWatermarkStep() {}

    /** Chained to the parse step, so each partition's messages keep their offset order. */
    public static SingleOutputStreamOperator<Row> readings(DataStream<Row> parsed, long outOfOrdernessMs) {
        return parsed.process(new PartitionWatermarks(outOfOrdernessMs), JUDGED_READING)
                .uid("partition-watermarks").name("partition watermark");
    }

    public static DataStream<Row> rejected(SingleOutputStreamOperator<Row> readings) {
        return readings.getSideOutput(REJECTED);
    }
}
