"""Tables as streams of the table runtime's own rows, for the JVM steps (``fr.iot.temperature.tables``).

The job's DataStream steps take and give ``RowData``, not ``Row``, so crossing between them and
the SQL steps converts nothing (docs/benchmarks.md). Python code cannot read such a stream:
it is a handle to pass on to the next JVM step.
"""

from __future__ import annotations

from pyflink.datastream import DataStream
from pyflink.table import StreamTableEnvironment, Table

from udfs.jvm_functions import job_functions


def internal_rows(t_env: StreamTableEnvironment, table: Table) -> DataStream:
    """The insert-only ``table`` as a stream of internal rows."""
    return DataStream(job_functions().tables.InternalRows.of(t_env._j_tenv, table._j_table))


def rows_table(t_env: StreamTableEnvironment, rows: DataStream) -> Table:
    """A stream of internal rows (a JVM step's output) as an insert-only table that Python can read.

    The query gives its columns the usual types (a STRING column is a ``str``, not the runtime's
    ``StringData``), like any query's result.
    """
    table = Table(job_functions().tables.InternalRows.table(t_env._j_tenv, rows._j_data_stream), t_env)
    return t_env.sql_query(f"SELECT * FROM {table}")
