package fr.iot.temperature.tables;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;

/**
 * Tables to streams and back in the table runtime's own rows ({@link RowData}), so crossing
 * between the SQL steps and the DataStream steps converts nothing.
 *
 * <p>With {@code Row} (PyFlink's {@code to_data_stream} and {@code from_changelog_stream}) every
 * field of every message was converted at each crossing, about a fifth of the job's JVM time
 * (docs/benchmarks.md). Asking for {@code RowData} makes the planner's converter the identity.
 */
public final class InternalRows {
    private InternalRows() {}

    /** The table's rows as they are inside the planner; an insert-only table. */
    public static DataStream<RowData> of(StreamTableEnvironment tEnv, Table table) {
        DataType rows = table.getResolvedSchema().toPhysicalRowDataType().bridgedTo(RowData.class);
        PlannerThread.prepare(tEnv);
        return tEnv.toDataStream(table, rows);
    }

    /**
     * A stream of internal rows (typed with {@link InternalTypeInfo}) as an insert-only table. Its
     * columns keep the internal types (a STRING column is {@code StringData}), which SQL reads as
     * is; a query over it ({@code SELECT *}) gives a table with the usual Java types.
     */
    public static Table table(StreamTableEnvironment tEnv, DataStream<RowData> rows) {
        PlannerThread.prepare(tEnv);
        return tEnv.fromDataStream(rows);
    }
}
