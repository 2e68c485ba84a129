package fr.iot.temperature.versions;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.util.Collector;

/**
 * Keyed by reading id: keeps the winning version and turns every message into changes of the
 * hourly means. A new reading adds its value; a correction takes the old value back (from its
 * hour and region) and adds the new one; a duplicate changes nothing; a version that comes too
 * late changes nothing and goes to the late side output. The id is forgotten by an event-time
 * timer once no later version can count.
 */
public class ReadingVersions extends KeyedProcessFunction<StringData, RowData, RowData> {
    // Positions of the readings' columns (see ReadingVersionsStep.versions).
    static final int ID = 0;
    private static final int EVENT_MS = 1;
    private static final int LAT = 2;
    private static final int LON = 3;
    private static final int TEMPERATURE = 4;
    private static final int REGION = 5;
    private static final int WATERMARK_MS = 6;

    static final int ADDED = 1;
    static final int TAKEN_BACK = -1;

    private final VersionRules rules;
    private transient ValueState<byte[]> winner;
    private transient Map<Outcome, Counter> counters;

    public ReadingVersions(VersionRules rules) {
        this.rules = rules;
    }

    @Override
    public void open(OpenContext openContext) {
        winner = getRuntimeContext().getState(
                new ValueStateDescriptor<>("winning-version", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("iot");
        counters = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counters.put(outcome, metrics.counter("versions_" + outcome.label));
        }
    }

    @Override
    public void processElement(RowData reading, Context ctx, Collector<RowData> out) throws Exception {
        Version previous = stored();
        Version next = new Version(
                reading.getLong(EVENT_MS),
                reading.getDouble(LAT),
                reading.getDouble(LON),
                reading.getDouble(TEMPERATURE),
                reading.getString(REGION).toString());
        // The partition's watermark (PartitionWatermarks): Flink's own restarts from nothing.
        long watermarkMs = reading.isNullAt(WATERMARK_MS) ? VersionRules.NO_WATERMARK : reading.getLong(WATERMARK_MS);
        Outcome outcome = rules.judge(previous, next, watermarkMs);
        counters.get(outcome).inc();
        switch (outcome) {
            case TOO_LATE, REPLACES_TOO_LATE -> ctx.output(ReadingVersionsStep.LATE_READINGS,
                    LateRecord.record(ctx.getCurrentKey().toString(), next, watermarkMs, outcome));
            case CORRECTION -> {
                out.collect(contribution(previous, TAKEN_BACK));
                keep(next, ctx);
                out.collect(contribution(next, ADDED));
            }
            case NEW -> {
                keep(next, ctx);
                out.collect(contribution(next, ADDED));
            }
            case DUPLICATE -> { }
        }
    }

    private void keep(Version version, Context ctx) throws Exception {
        winner.update(version.toBytes());
        ctx.timerService().registerEventTimeTimer(rules.forgetAt(version));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<RowData> out) throws Exception {
        Version stored = stored();
        if (stored != null && rules.forgetAt(stored) <= timestamp) {
            winner.clear();
        }
    }

    private Version stored() throws Exception {
        byte[] stored = winner.value();
        return stored == null ? null : Version.fromBytes(stored);
    }

    static RowData contribution(Version version, int weight) {
        return GenericRowData.of(version.hourMs(), StringData.fromString(version.region()), version.temperature(), weight);
    }
}
