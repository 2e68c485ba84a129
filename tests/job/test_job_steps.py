"""The job's steps on their own, in a local table environment (no Kafka, no cluster)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pyflink.common import Row, RowKind, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import EnvironmentSettings, StreamTableEnvironment, TableEnvironment

from jobs import hourly_region_means as job
from readings.timestamps import epoch_ms, zone_of
from settings import JobSettings, KafkaSettings, Settings

HOUR_MS = 3_600_000
KAFKA_TS = "2019-02-20 00:00:00"


@pytest.fixture(scope="module")
def batch_env() -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("table.local-time-zone", "UTC")
    return t_env


def sql_event_times(t_env: TableEnvironment, stamps: list[str]) -> list[int]:
    """Epoch ms of the watermark's time attribute for each ``timestamp`` text."""
    values = ", ".join(f"('{json.dumps({'timestamp': stamp})}')" for stamp in stamps)
    expression = job.event_time_expression(future_margin_s=600)
    query = (
        f"SELECT CAST(UNIX_TIMESTAMP(CAST({expression} AS STRING)) AS BIGINT) * 1000 AS ms, n FROM ("
        f"SELECT CAST(s AS BYTES) AS payload, TO_TIMESTAMP_LTZ('{KAFKA_TS}', 'yyyy-MM-dd HH:mm:ss') AS kafka_timestamp, "
        f"ROW_NUMBER() OVER (ORDER BY s) AS n FROM (VALUES {values}) AS v(s))"
    )
    by_text = {}
    with t_env.execute_sql(query).collect() as rows:
        ordered = sorted((stamp for stamp in stamps), key=lambda s: json.dumps({"timestamp": s}))
        for row in rows:
            by_text[ordered[row[1] - 1]] = row[0]
    return [by_text[stamp] for stamp in stamps]


def test_watermark_time_matches_the_python_parser(batch_env: TableEnvironment) -> None:
    stamps = ["2019-02-19 14:02:10", "2019-02-19T14:02:10Z", "2019-02-19T14:02:10+02:00", "2019-02-19T14:02:10-05:30", "2019-02-19T14:02:10.123Z"]
    expected = [epoch_ms(stamp, zone_of("UTC")) // 1000 * 1000 for stamp in stamps]
    assert sql_event_times(batch_env, stamps) == expected


def test_unparseable_and_future_stamps_never_move_the_watermark(batch_env: TableEnvironment) -> None:
    assert sql_event_times(batch_env, ["garbage", "2019-02-19 25:00:00", "2019-02-20 00:11:00", "2019-02-20 00:09:00"]) == [
        0, 0, 0, int(datetime(2019, 2, 20, 0, 9, tzinfo=timezone.utc).timestamp() * 1000),
    ]


def test_source_reads_raw_messages_with_a_bounded_watermark_and_idle_timeout() -> None:
    ddl = job.kafka_source_ddl(KafkaSettings(readings_topic="t"), JobSettings(out_of_orderness_seconds=45, idle_partition_timeout_seconds=7), 600)
    assert "WATERMARK FOR event_time AS event_time - INTERVAL '45' SECOND" in ddl
    assert "'scan.watermark.idle-timeout' = '7 s'" in ddl
    assert "'format' = 'raw'" in ddl and "'topic' = 't'" in ddl


def test_dead_letters_are_written_exactly_once_keyed() -> None:
    ddl = job.dead_letter_sink_ddl("late_sink", "sensor.readings.late", KafkaSettings(), JobSettings())
    assert "'sink.delivery-guarantee' = 'exactly-once'" in ddl
    assert "'key.fields' = 'k'" in ddl


def change(kind: RowKind, hour: int, region: str, temperature: float) -> Row:
    row = Row(hour * HOUR_MS, region, temperature)
    row.set_row_kind(kind)
    return row


def final_rows(changes: list[Row]) -> dict[tuple[int, str], tuple]:
    """Run hourly_means and with_three_hours_before on a changelog; the state it converges to."""
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    settings = Settings()
    job.configure(t_env, settings)
    job.enable_mini_batches(t_env, settings)
    stream = env.from_collection(changes, type_info=Types.ROW_NAMED(["hour_ms", "region", "temperature"], [Types.LONG(), Types.STRING(), Types.DOUBLE()]))
    results = job.with_three_hours_before(t_env, job.hourly_means(t_env, t_env.from_changelog_stream(stream)))
    state: dict[tuple[int, str], tuple] = {}
    with results.execute().collect() as rows:
        for row in rows:
            key = (row[0] // HOUR_MS, row[1])
            if row.get_row_kind() in (RowKind.INSERT, RowKind.UPDATE_AFTER):
                state[key] = tuple(row[2:])
            else:
                state.pop(key, None)
    return state


def test_means_retract_corrections_and_follow_the_hour_three_before() -> None:
    state = final_rows([
        change(RowKind.INSERT, 10, "Bretagne", 10.0),
        change(RowKind.INSERT, 13, "Bretagne", 20.0),
        change(RowKind.INSERT, 13, "Bretagne", 30.0),
        change(RowKind.DELETE, 13, "Bretagne", 20.0),
        change(RowKind.INSERT, 13, "Bretagne", 22.0),
        change(RowKind.INSERT, 10, "Bretagne", 14.0),
        change(RowKind.INSERT, 11, "Corse", 5.0),
        change(RowKind.DELETE, 11, "Corse", 5.0),
    ])
    assert state == {(10, "Bretagne"): (12.0, 2, None), (13, "Bretagne"): (26.0, 2, 12.0)}
