package fr.iot.temperature.means;

import fr.iot.temperature.tables.InternalRows;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.util.Collector;

/**
 * Each signed contribution twice: as a change of its own hour's sums, and as a change of the
 * "before" sums of the hour three hours later.
 *
 * <p>So one aggregation keyed by (hour, region) holds a row's mean and the mean three hours
 * earlier, and a change of either is one update of the row. It runs chained after the versions
 * step; the SQL it replaced ({@code CROSS JOIN UNNEST(ARRAY[hour_ms, hour_ms + 3 h])} and a
 * {@code CASE} per column) took about a third of that task's time. The sums a copy does not
 * change are NULL, so each SUM adds exactly the values an AVG over the same readings would.
 */
public class CopiesThreeHoursLater implements FlatMapFunction<RowData, RowData> {
    public static final long THREE_HOURS_MS = 3 * 3_600_000L;
    /** What the hourly means add up: a change of the hour's own sums or of its "before" sums. */
    public static final InternalTypeInfo<RowData> COUNTED = InternalTypeInfo.ofFields(
            new LogicalType[] {new BigIntType(false), VarCharType.STRING_TYPE,
                    new DoubleType(), new BigIntType(), new DoubleType(), new BigIntType()},
            new String[] {"hour_ms", "region", "own_sum", "own_count", "earlier_sum", "earlier_count"});
    // Positions of a contribution (ReadingVersionsStep.CONTRIBUTION): hour_ms, region, temperature, weight.
    private static final int HOUR_MS = 0;
    private static final int REGION = 1;
    private static final int TEMPERATURE = 2;
    private static final int WEIGHT = 3;

    /** The contributions (hour_ms, region, temperature, weight) as changes of the sums to aggregate. */
    public static Table of(StreamTableEnvironment tEnv, DataStream<RowData> contributions) {
        return InternalRows.table(tEnv,
                contributions.flatMap(new CopiesThreeHoursLater(), COUNTED).name("copies three hours later"));
    }

    @Override
    public void flatMap(RowData contribution, Collector<RowData> out) {
        long hourMs = contribution.getLong(HOUR_MS);
        Object region = contribution.getString(REGION);
        long weight = contribution.getInt(WEIGHT);
        double sum = weight * contribution.getDouble(TEMPERATURE);
        out.collect(GenericRowData.of(hourMs, region, sum, weight, null, null));
        out.collect(GenericRowData.of(hourMs + THREE_HOURS_MS, region, null, null, sum, weight));
    }
}
