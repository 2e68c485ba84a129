package fr.iot.temperature.tables;

import java.lang.reflect.Method;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;

/**
 * Readies the calling thread for the planner: Calcite looks its metadata handlers up in a
 * thread-local that Flink 2.2 sets only on the thread that created the planner.
 *
 * <p>PyFlink calls the JVM through a pool of connections, one JVM thread each, so a table
 * environment created on one thread is often planned on another; if that thread never planned
 * before, the first plan needing a new metadata handler fails with {@code NullPointerException:
 * metadataHandlerProvider} (seen in CI). Setting Flink's provider first, as the planner's own
 * cluster factory does on its thread, removes the dependence on which thread answers.
 */
public final class PlannerThread {
    private static final String QUERY_BASE = "org.apache.calcite.rel.metadata.RelMetadataQueryBase";
    private static final String JANINO = "org.apache.calcite.rel.metadata.JaninoRelMetadataProvider";
    private static final String PROVIDER = "org.apache.calcite.rel.metadata.RelMetadataProvider";
    private static final String FLINK_PROVIDER =
            "org.apache.flink.table.planner.plan.metadata.FlinkDefaultRelMetadataProvider";

    private PlannerThread() {}

    /** Sets Flink's metadata provider on this thread unless one is set already. */
    public static void prepare(TableEnvironment tEnv) {
        // The planner lives in its own class loader (flink-table-planner-loader): reach it there.
        ClassLoader planner = ((TableEnvironmentImpl) tEnv).getPlanner().getClass().getClassLoader();
        try {
            ThreadLocal<Object> providers = threadProviders(planner);
            if (providers.get() != null) {
                return;
            }
            Object flinkProvider = Class.forName(FLINK_PROVIDER, true, planner).getMethod("INSTANCE").invoke(null);
            Method janino = Class.forName(JANINO, true, planner)
                    .getMethod("of", Class.forName(PROVIDER, true, planner));
            providers.set(janino.invoke(null, flinkProvider));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Flink planner has no Calcite metadata provider where 2.2 has it", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static ThreadLocal<Object> threadProviders(ClassLoader planner) throws ReflectiveOperationException {
        return (ThreadLocal<Object>) Class.forName(QUERY_BASE, true, planner).getField("THREAD_PROVIDERS").get(null);
    }
}
