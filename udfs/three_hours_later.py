"""Copies three hours later: each counted value also as the "before" value of the hour three hours later.

The step runs in the JVM (``jvm/job-functions``, ``fr.iot.temperature.means.CopiesThreeHoursLater``),
chained after the versions step: every change of a value (+1 or -1 times it) leaves as two
rows, a change of its hour's own sums and a change of the "before" sums of the hour three hours
later, so one aggregation keyed by (hour, region) holds both means. It replaced an SQL
``CROSS JOIN UNNEST(ARRAY[hour_ms, hour_ms + 3 h])`` whose generated code took about a third of
the versions task's time (docs/benchmarks.md).
"""

from __future__ import annotations

from pyflink.datastream import DataStream
from pyflink.table import StreamTableEnvironment, Table

from udfs.jvm_functions import job_functions


def copies_three_hours_later(t_env: StreamTableEnvironment, contributions: DataStream) -> Table:
    """(hour_ms, region, own_sum, own_count, earlier_sum, earlier_count): two rows per contribution.

    ``contributions`` is the versions step's stream of (hour_ms, region, temperature, weight);
    each row changes its hour's own sums, or the "before" sums of the hour three hours later.
    """
    step = job_functions().means.CopiesThreeHoursLater
    return Table(step.of(t_env._j_tenv, contributions._j_data_stream), t_env)
