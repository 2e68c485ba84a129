package fr.iot.temperature.means;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Each change of a counted value twice: in its own hour, and in the hour three hours later as
 * that hour's "before" value, with the change's kind (an insert or a retraction) kept.
 *
 * <p>So one aggregation keyed by (hour, region) holds a row's mean and the mean three hours
 * earlier, and a change of either is one update of the row. It runs chained after the versions
 * step; the SQL it replaced ({@code CROSS JOIN UNNEST(ARRAY[hour_ms, hour_ms + 3 h])} and a
 * {@code CASE} per column) took about a third of that task's time.
 */
public class CopiesThreeHoursLater implements FlatMapFunction<Row, Row> {
    public static final long THREE_HOURS_MS = 3 * 3_600_000L;
    /** What the hourly means aggregate: a value is either the hour's own or the "before" of it. */
    public static final TypeInformation<Row> COUNTED = Types.ROW_NAMED(
            new String[] {"hour_ms", "region", "own_temperature", "earlier_temperature"},
            Types.LONG, Types.STRING, Types.DOUBLE, Types.DOUBLE);
    // Positions of a contribution (ReadingVersionsStep.CONTRIBUTION): hour_ms, region, temperature.
    private static final int HOUR_MS = 0;
    private static final int REGION = 1;
    private static final int TEMPERATURE = 2;

    /** The contributions (a changelog of hour_ms, region, temperature) as values to aggregate. */
    public static DataStream<Row> of(DataStream<Row> contributions) {
        return contributions.flatMap(new CopiesThreeHoursLater(), COUNTED).name("copies three hours later");
    }

    @Override
    public void flatMap(Row contribution, Collector<Row> out) {
        long hourMs = contribution.<Long>getFieldAs(HOUR_MS);
        Object region = contribution.getField(REGION);
        Object temperature = contribution.getField(TEMPERATURE);
        out.collect(Row.ofKind(contribution.getKind(), hourMs, region, temperature, null));
        out.collect(Row.ofKind(contribution.getKind(), hourMs + THREE_HOURS_MS, region, null, temperature));
    }
}
