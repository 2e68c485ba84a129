package fr.iot.temperature.versions;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;

/**
 * Keyed by reading id: keeps the winning version and turns every message into changes of the
 * hourly means. A new reading adds its value; a correction retracts the old value (from its
 * hour and region) and adds the new one; a duplicate changes nothing; a version that comes too
 * late changes nothing and goes to the late side output. The id is forgotten by an event-time
 * timer once no later version can count.
 */
public class ReadingVersions extends KeyedProcessFunction<String, Row, Row> {
    // Positions of the readings' columns (see ReadingVersionsStep.versions): rows that come
    // straight from a DataStream have no field names.
    static final int ID = 0;
    private static final int EVENT_MS = 1;
    private static final int LAT = 2;
    private static final int LON = 3;
    private static final int TEMPERATURE = 4;
    private static final int REGION = 5;
    private static final int WATERMARK_MS = 6;

    private final VersionRules rules;
    private transient ValueState<Version> winner;
    private transient Map<Outcome, Counter> counters;

    public ReadingVersions(VersionRules rules) {
        this.rules = rules;
    }

    @Override
    public void open(OpenContext openContext) {
        winner = getRuntimeContext().getState(
                new ValueStateDescriptor<>("winning-version", TypeInformation.of(Version.class)));
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("iot");
        counters = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counters.put(outcome, metrics.counter("versions_" + outcome.label));
        }
    }

    @Override
    public void processElement(Row reading, Context ctx, Collector<Row> out) throws Exception {
        Version previous = winner.value();
        Version next = new Version(
                reading.<Long>getFieldAs(EVENT_MS),
                reading.<Double>getFieldAs(LAT),
                reading.<Double>getFieldAs(LON),
                reading.<Double>getFieldAs(TEMPERATURE),
                reading.getFieldAs(REGION));
        // The partition's watermark (with_partition_watermark): Flink's own restarts from nothing.
        Long partitionWatermark = reading.getFieldAs(WATERMARK_MS);
        long watermarkMs = partitionWatermark == null ? VersionRules.NO_WATERMARK : partitionWatermark;
        Outcome outcome = rules.judge(previous, next, watermarkMs);
        counters.get(outcome).inc();
        switch (outcome) {
            case TOO_LATE, REPLACES_TOO_LATE -> ctx.output(ReadingVersionsStep.LATE_READINGS,
                    LateRecord.record(ctx.getCurrentKey(), next, watermarkMs, outcome));
            case CORRECTION -> {
                out.collect(contribution(previous, RowKind.DELETE));
                keep(next, ctx);
                out.collect(contribution(next, RowKind.INSERT));
            }
            case NEW -> {
                keep(next, ctx);
                out.collect(contribution(next, RowKind.INSERT));
            }
            case DUPLICATE -> { }
        }
    }

    private void keep(Version version, Context ctx) throws Exception {
        winner.update(version);
        ctx.timerService().registerEventTimeTimer(rules.forgetAt(version));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> out) throws Exception {
        Version stored = winner.value();
        if (stored != null && rules.forgetAt(stored) <= timestamp) {
            winner.clear();
        }
    }

    static Row contribution(Version version, RowKind kind) {
        return Row.ofKind(kind, version.hourMs(), version.region(), version.temperature());
    }
}
