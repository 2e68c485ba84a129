"""The partition watermark step (JVM, ``jvm/job-functions``) in a local Flink, as the job builds it
(``partition_watermarks``): each partition's own watermark, in offset order, the dead letters, and
every message for the archive."""

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


def message(partition: int, event_ms: int, reading_id: str | None = "r", rejected: bool = False, offset: int = 0) -> Row:
    """A parsed message as the parse step leaves it: its columns, then the source's (partition,
    event time, offset, Kafka timestamp: a second after the event time, payload)."""
    source = (partition, Instant.of_epoch_milli(event_ms), offset, Instant.of_epoch_milli(event_ms + 1_000),
              f"payload of {reading_id}".encode())
    if rejected:
        return Row(REJECTED, reading_id, None, None, None, None, None, "malformed_json", reading_id,
                   '{"reason": "malformed_json"}', *source)
    return Row(READING, reading_id, event_ms + 500, 48.1, -1.7, 9.5, "Bretagne", None, None, None, *source)


PARSED = Types.ROW_NAMED(
    [*COLUMNS, *job.SOURCE_COLUMNS],
    [Types.STRING(), Types.STRING(), Types.LONG(), Types.DOUBLE(), Types.DOUBLE(), Types.DOUBLE(), Types.STRING(),
     Types.STRING(), Types.STRING(), Types.STRING(),
     Types.INT(), Types.INSTANT(), Types.LONG(), Types.INSTANT(), Types.PRIMITIVE_ARRAY(Types.BYTE())],
)


def judged(messages: list[Row], time_zone: str = "UTC") -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(readings, dead letters, archived messages) as the step leaves them."""
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    t_env.get_config().set("table.local-time-zone", time_zone)
    parsed = t_env.from_data_stream(env.from_collection(messages, type_info=PARSED))
    readings, rejected, archived = job.partition_watermarks(
        t_env, parsed, JobSettings(out_of_orderness_seconds=OUT_OF_ORDERNESS_MS // 1000))
    # PyFlink cannot collect a TIMESTAMP_LTZ: the archive's Kafka timestamps come as local-time text.
    archived = t_env.sql_query(f"SELECT kafka_partition, kafka_offset, CAST(kafka_timestamp AS STRING), payload, "
                               f"event_hour FROM {archived}")
    outputs = []
    for table in (rows_table(t_env, readings), rejected, archived):
        with table.execute().collect() as rows:
            outputs.append([tuple(row) for row in rows])
    return outputs[0], outputs[1], outputs[2]


def test_each_reading_gets_the_highest_event_time_of_its_partition_so_far_minus_the_out_of_orderness() -> None:
    readings, dead_letters, _ = judged([
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
    readings, _, _ = judged([message(0, -1_500, "a")])
    assert readings[0][6] == -2_000 - OUT_OF_ORDERNESS_MS


HOUR_15 = 1_764_946_800_000  # 2025-12-05T15:00 UTC, 16:00 in Paris


def test_every_message_is_archived_once_with_its_kafka_coordinates_and_utc_event_hour() -> None:
    _, _, archived = judged([
        message(0, HOUR_15, "a", offset=7),
        message(1, HOUR_15 - 1, "b", offset=0),                  # 14:59:59.999: the hour before
        message(1, HOUR_15 + 60_000, "x", rejected=True, offset=1),  # rejected messages are archived too
        message(0, 0, "y", rejected=True, offset=8),             # no readable event time: the epoch
    ], time_zone="Europe/Paris")
    assert archived == [
        (0, 7, "2025-12-05 16:00:01.000", b"payload of a", "2025-12-05T15"),
        (1, 0, "2025-12-05 16:00:00.999", b"payload of b", "2025-12-05T14"),
        (1, 1, "2025-12-05 16:01:01.000", b"payload of x", "2025-12-05T15"),
        (0, 8, "1970-01-01 01:00:01.000", b"payload of y", "none"),
    ]
