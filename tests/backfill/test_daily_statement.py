"""The daily statement on a local mini-cluster, fed by the job's own versions step: a correction's
replaced value leaves the day's minimum and maximum, and an emptied day's row goes."""

from __future__ import annotations

import json

from jobs.explain import ExampleReading

# Bretagne, one UTC day; each version judged against a watermark that leaves it, and the version
# it replaces, within the allowed lateness (3 h).
COLD = ExampleReading("cold", "2019-04-28 09:00:00", -8.0, "2019-04-28 08:59:30")
HOT = ExampleReading("hot", "2019-04-28 11:00:00", 31.0, "2019-04-28 10:59:30")
MILD = ExampleReading("mild", "2019-04-28 10:00:00", 11.0, "2019-04-28 10:59:30")
COLD_FIXED = ExampleReading("cold", "2019-04-28 09:00:00", 12.0, "2019-04-28 11:29:30")
HOT_FIXED = ExampleReading("hot", "2019-04-28 11:00:00", 13.0, "2019-04-28 11:29:30")
# Alone on the next day, then corrected onto the first: that day's row must go.
STRAY = ExampleReading("stray", "2019-04-29 01:00:00", 20.0, "2019-04-28 11:29:30")
STRAY_MOVED = ExampleReading("stray", "2019-04-28 12:00:00", 11.0, "2019-04-28 11:29:30")
DAY_MS = 1556409600000  # 2019-04-28 00:00 UTC


def daily_rows(readings: list[ExampleReading]) -> dict[tuple[int, str], tuple]:
    """The daily statement's changelog folded into its final rows."""
    from pyflink.common import Row, RowKind, Types
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    from jobs import hourly_region_means as job
    from settings import Settings
    from udfs.internal_rows import internal_rows
    from udfs.jvm_functions import with_job_functions

    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    settings = Settings()
    job.configure(t_env, settings)
    reading_type = Types.ROW_NAMED(
        ["id", "event_ms", "lat", "lon", "temperature", "region", "watermark_ms"],
        [Types.STRING(), Types.LONG(), Types.DOUBLE(), Types.DOUBLE(), Types.DOUBLE(), Types.STRING(), Types.LONG()],
    )
    stream = env.from_collection([reading.row() for reading in readings], type_info=reading_type)
    contributions, _late = job.versioned_contributions(t_env, internal_rows(t_env, t_env.from_data_stream(stream)), settings.job)
    job.enable_mini_batches(t_env, settings)
    changes = t_env.to_changelog_stream(job.daily_extremes_and_means(t_env, contributions)).map(
        lambda row: Row(row.get_row_kind().value, json.dumps(list(row))), output_type=Types.ROW([Types.INT(), Types.STRING()]))
    rows: dict[tuple[int, str], tuple] = {}
    with changes.execute_and_collect() as collected:
        for kind, values in collected:
            day_ms, region, *rest = json.loads(values)
            if RowKind(kind) in (RowKind.INSERT, RowKind.UPDATE_AFTER):
                rows[day_ms, region] = tuple(rest)
            elif RowKind(kind) == RowKind.DELETE:
                del rows[day_ms, region]
    return rows


def test_corrections_leave_the_minimum_and_maximum_and_an_emptied_day_goes() -> None:
    rows = daily_rows([COLD, HOT, MILD, STRAY, COLD_FIXED, HOT_FIXED, STRAY_MOVED])
    low, high, mean, readings = rows.pop((DAY_MS, "Bretagne"))
    assert (low, high, readings) == (11.0, 13.0, 4)  # 12, 13, 11, 11: neither -8 nor 31 is left
    assert abs(mean - 47.0 / 4) < 1e-12
    assert rows == {}  # the next day's only reading moved away
