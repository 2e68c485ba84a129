"""The partition watermark step (JVM, ``jvm/job-functions``) in a local Flink, as the job builds it
(``partition_watermarks``): each partition's own watermark, in offset order, and the dead letters."""

from __future__ import annotations

from pyflink.common import Row, Types
from pyflink.common.time import Instant
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment

from jobs import hourly_region_means as job
from settings import JobSettings
from udfs.internal_rows import rows_table
from udfs.jvm_functions import with_job_functions
from udfs.parse_and_locate import COLUMNS, READING, REJECTED

T0 = 1_700_000_000_000
OUT_OF_ORDERNESS_MS = 30_000


def message(partition: int, event_ms: int, reading_id: str | None = "r", rejected: bool = False) -> Row:
    """A parsed message as the parse step leaves it: its columns, its partition and the source's event time."""
    event_time = Instant.of_epoch_milli(event_ms)
    if rejected:
        return Row(REJECTED, reading_id, None, None, None, None, None, "malformed_json", reading_id,
                   '{"reason": "malformed_json"}',
                   partition, event_time)
    return Row(READING, reading_id, event_ms + 500, 48.1, -1.7, 9.5, "Bretagne", None, None, None, partition, event_time)


PARSED = Types.ROW_NAMED(
    [*COLUMNS, "kafka_partition", "event_time"],
    [Types.STRING(), Types.STRING(), Types.LONG(), Types.DOUBLE(), Types.DOUBLE(), Types.DOUBLE(), Types.STRING(),
     Types.STRING(), Types.STRING(), Types.STRING(), Types.INT(), Types.INSTANT()],
)


def judged(messages: list[Row]) -> tuple[list[tuple], list[tuple]]:
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    parsed = t_env.from_data_stream(env.from_collection(messages, type_info=PARSED))
    readings, rejected = job.partition_watermarks(t_env, parsed,
                                                  JobSettings(out_of_orderness_seconds=OUT_OF_ORDERNESS_MS // 1000))
    with rows_table(t_env, readings).execute().collect() as rows:
        reading_rows = [tuple(row) for row in rows]
    with rejected.execute().collect() as rows:
        dead_letters = [tuple(row) for row in rows]
    return reading_rows, dead_letters


def test_each_reading_gets_the_highest_event_time_of_its_partition_so_far_minus_the_out_of_orderness() -> None:
    readings, dead_letters = judged([
        message(0, T0, "a"),
        message(1, T0 + 600_000, "b"),          # another partition: its own maximum
        message(0, T0 - 60_000, "c"),           # older: the maximum stays
        message(0, T0 + 120_000, "x", rejected=True),  # a rejected message moves its partition's maximum too
        message(0, T0 + 1_000, "d"),
        message(1, T0 + 1_999, "e"),            # whole seconds, as the source's event time offers them
    ])
    assert [(row[0], row[6]) for row in readings] == [
        ("a", T0 - OUT_OF_ORDERNESS_MS),
        ("b", T0 + 600_000 - OUT_OF_ORDERNESS_MS),
        ("c", T0 - OUT_OF_ORDERNESS_MS),
        ("d", T0 + 120_000 - OUT_OF_ORDERNESS_MS),
        ("e", T0 + 600_000 - OUT_OF_ORDERNESS_MS),
    ]
    assert readings[0][1:6] == (T0 + 500, 48.1, -1.7, 9.5, "Bretagne")
    assert dead_letters == [("x", '{"reason": "malformed_json"}')]


def test_event_times_are_cut_to_the_second_below_also_before_1970() -> None:
    readings, _ = judged([message(0, -1_500, "a")])
    assert readings[0][6] == -2_000 - OUT_OF_ORDERNESS_MS
