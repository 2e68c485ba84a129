package fr.iot.temperature.watermarks;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.util.Collector;

/**
 * Each parsed message with the watermark its lateness is judged against: the highest event time
 * read from its Kafka partition up to and including it, minus the out-of-orderness. Readings go
 * on with that watermark; rejected messages leave on a side output as dead letters; every
 * message, whatever its verdict, leaves on another as it was read, for the archive.
 *
 * <p>It runs in the source's task, where each partition's messages arrive in offset order, and
 * keeps one maximum per partition in operator state. Flink's own watermark is not checkpointed and
 * advances with processing speed, so verdicts made with it would change on a restart or a
 * replay; this one depends only on the partition's content. The state is a union list: after a
 * rescale every task gets every partition's maximum and keeps the highest, whichever task reads
 * the partition now.
 */
public class PartitionWatermarks extends ProcessFunction<RowData, RowData> implements CheckpointedFunction {
    // Positions of the parsed columns (see PartitionWatermarkStep).
    static final int KIND = 0;
    static final int ID = 1;
    static final int EVENT_MS = 2;
    static final int LAT = 3;
    static final int LON = 4;
    static final int TEMPERATURE = 5;
    static final int REGION = 6;
    static final int DEAD_LETTER_KEY = 8;
    static final int DEAD_LETTER_VALUE = 9;
    static final int KAFKA_PARTITION = 10;
    static final int EVENT_TIME = 11;
    static final int KAFKA_OFFSET = 12;
    static final int KAFKA_TIMESTAMP = 13;
    static final int PAYLOAD = 14;
    static final StringData READING = StringData.fromString("reading");
    /** The archive's hour of a message without a readable event time (which the source gives the epoch). */
    static final StringData NO_EVENT_HOUR = StringData.fromString("none");
    private static final int TIME_PRECISION = 3;
    private static final long HOUR_MS = 3_600_000L;
    private static final DateTimeFormatter HOUR_NAME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH");

    private final long outOfOrdernessMs;
    private transient Map<Integer, Long> maxEventSeconds;
    private transient ListState<Tuple2<Integer, Long>> checkpointed;
    // Consecutive messages mostly share their hour: its name is formatted once.
    private transient long namedHour = Long.MIN_VALUE;
    private transient StringData hourName;

    public PartitionWatermarks(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    @Override
    public void processElement(RowData parsed, Context ctx, Collector<RowData> out) {
        long eventMs = parsed.getTimestamp(EVENT_TIME, TIME_PRECISION).getMillisecond();
        int partition = parsed.getInt(KAFKA_PARTITION);
        long watermarkMs = watermarkAfter(partition, eventMs);
        ctx.output(PartitionWatermarkStep.ARCHIVED, GenericRowData.of(partition, parsed.getLong(KAFKA_OFFSET),
                parsed.getTimestamp(KAFKA_TIMESTAMP, TIME_PRECISION), parsed.getBinary(PAYLOAD), eventHour(eventMs)));
        if (READING.equals(parsed.getString(KIND))) {
            out.collect(GenericRowData.of(parsed.getString(ID), parsed.getLong(EVENT_MS), parsed.getDouble(LAT),
                    parsed.getDouble(LON), parsed.getDouble(TEMPERATURE), parsed.getString(REGION), watermarkMs));
        } else {
            ctx.output(PartitionWatermarkStep.REJECTED, GenericRowData.of(
                    copy(parsed, DEAD_LETTER_KEY), copy(parsed, DEAD_LETTER_VALUE)));
        }
    }

    /** The UTC hour of an event time as 'yyyy-MM-ddTHH', the archive's partition: docs/archive.md. */
    StringData eventHour(long eventMs) {
        if (eventMs <= 0) {
            return NO_EVENT_HOUR;
        }
        long hour = Math.floorDiv(eventMs, HOUR_MS);
        if (hour != namedHour) {
            hourName = StringData.fromString(
                    LocalDateTime.ofEpochSecond(hour * 3600, 0, ZoneOffset.UTC).format(HOUR_NAME));
            namedHour = hour;
        }
        return hourName;
    }

    /** The parse step's rows are reused for the next message: a string kept past this call is copied. */
    private static StringData copy(RowData row, int field) {
        return row.isNullAt(field) ? null : StringData.fromBytes(row.getString(field).toBytes());
    }

    /** The partition's watermark once this event time is read: whole seconds, as the event time offers them. */
    long watermarkAfter(int partition, long eventMs) {
        long seconds = Math.floorDiv(eventMs, 1000L);
        long highest = maxEventSeconds.merge(partition, seconds, Math::max);
        return highest * 1000 - outOfOrdernessMs;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.clear();
        for (Map.Entry<Integer, Long> entry : maxEventSeconds.entrySet()) {
            checkpointed.add(Tuple2.of(entry.getKey(), entry.getValue()));
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(
                "partition-max-event-seconds", TypeInformation.of(new TypeHint<Tuple2<Integer, Long>>() {})));
        maxEventSeconds = new HashMap<>();
        namedHour = Long.MIN_VALUE;
        if (context.isRestored()) {
            for (Tuple2<Integer, Long> entry : checkpointed.get()) {
                maxEventSeconds.merge(entry.f0, entry.f1, Math::max);
            }
        }
    }
}
