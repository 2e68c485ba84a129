"""The job's steps on their own, in a local table environment (no Kafka, no cluster)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from pyflink.common import Row, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import EnvironmentSettings, StreamTableEnvironment, TableEnvironment

from jobs import hourly_region_means as job
from jobs.explain import upserted
from oracle.watermark import watermark_time_ms
from results.hours import HOUR_MS
from settings import JobSettings, KafkaSettings, ReadingRules, Settings
from tests.support.bad_inputs import kafka_messages
from udfs.internal_rows import internal_rows
from udfs.jvm_functions import job_functions_jar, with_job_functions

KAFKA_MS = int(datetime(2019, 2, 20, tzinfo=UTC).timestamp() * 1000)
UTC_RULES = ReadingRules(timezone="UTC", future_margin_seconds=600)


PARIS = ReadingRules(timezone="Europe/Paris", future_margin_seconds=600)


@pytest.fixture(scope="module")
def batch_env() -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("pipeline.jars", job_functions_jar().as_uri())
    job.register_event_time(t_env)
    return t_env


def sql_event_times(t_env: TableEnvironment, payloads: list[bytes], rules: ReadingRules) -> list[int]:
    """Epoch ms of the watermark's time attribute for each payload, read at ``KAFKA_TS`` UTC."""
    values = ", ".join(f"({n}, X'{payload.hex()}')" for n, payload in enumerate(payloads))
    query = (
        f"SELECT n, TIMESTAMPDIFF(SECOND, TO_TIMESTAMP_LTZ(0, 3), {job.event_time_expression(rules)}) FROM ("
        f"SELECT n, CAST(p AS BYTES) AS payload, TO_TIMESTAMP_LTZ({KAFKA_MS}, 3) AS kafka_timestamp "
        f"FROM (VALUES {values}) AS v(n, p))"
    )
    by_n = {}
    with t_env.execute_sql(query).collect() as rows:
        for n, seconds in rows:
            by_n[n] = seconds * 1000
    return [by_n[n] for n in range(len(payloads))]


def oracle_event_times(payloads: list[bytes], rules: ReadingRules) -> list[int]:
    """What the oracle says each payload offers the watermark (none: the epoch, which never moves it)."""
    return [watermark_time_ms(payload, KAFKA_MS, rules) or 0 for payload in payloads]


def stamped(stamp: object) -> bytes:
    return json.dumps({"id": "r", "timestamp": stamp, "lat": 48.1, "lon": -1.7, "temperature": 9.5}).encode()


STAMPS = [
    "2019-02-19 14:02:10", "2019-02-19T14:02:10", "2019-02-19T14:02:10Z", "2019-02-19T14:02:10+02:00",
    "2019-02-19T14:02:10-05:30", "2019-02-19T14:02:10+0200", "2019-02-19T14:02:10+02", "2019-02-19T14:02:10.123Z",
    "2019-02-19T14:02:10.9999999Z", "2019-02-19T14:02:10,5Z", "2019-02-19T14:02Z", "2019-02-19 14:02",
    "2019-03-31 02:30:00",  # skipped by the spring change in Paris: does not exist
    "2019-10-27 02:30:00",  # twice in the autumn: the first
    "2019-02-19T23:59:59+23:59", "2019-02-19T14:02:10+24:00", "2019-02-19T14:02:10+01:75",
    "2019-02-30 10:00:00", "2019-02-19 24:00:00", "2019-02-19 14:60:00", "1969-12-31T23:59:59.5Z",
    "2019-02-19 14:02:10 ", "2019-02-19", "garbage", "", "2019-02-20T00:09:59Z", "2019-02-20T00:10:01Z",
]


def test_watermark_time_follows_the_oracle_on_every_stamp(batch_env: TableEnvironment) -> None:
    payloads = [stamped(stamp) for stamp in STAMPS]
    sql = sql_event_times(batch_env, payloads, PARIS)
    assert dict(zip(STAMPS, sql, strict=True)) == dict(zip(STAMPS, oracle_event_times(payloads, PARIS), strict=True))


def test_watermark_time_follows_the_oracle_on_every_bad_input(batch_env: TableEnvironment) -> None:
    payloads = [value for _, _, value, _ in kafka_messages()] + [
        stamped(1550584930), b'{"timestamp": "2019-02-19 14:02:10", "timestamp": "2019-02-19 15:00:00"}',
        b'{"inner": {"timestamp": "2019-02-19 14:02:10"}}', b'["2019-02-19 14:02:10"]',
        b'{"timestamp": "2019-02-19 14:02:10"} trailing', b'{"timestamp": "2019-02-19 14:02:10", "t": NaN}',
        b'{"timestamp": "2019-02-19 14:02:10", "x": "\xff"}', b'{"timestamp": "2019-02-19 14:02:10", "x": "\\q"}',
    ]
    assert sql_event_times(batch_env, payloads, UTC_RULES) == oracle_event_times(payloads, UTC_RULES)


def one_byte_mutations(count: int, seed: int = 7) -> list[bytes]:
    """Sensor-shaped messages with one byte inserted, replaced or removed: the edges of the fast scan."""
    rng = random.Random(seed)
    alphabet = b' \t\n"\\{}[],:-+.eE0123456789tfnulrasTZ\x00\x1f\x7f\xc3\xa9\xff'
    mutated = []
    for n in range(count):
        message = bytearray(stamped("2019-02-19 14:02:10").replace(b'"id": "r"', f'"id": "r{n}"'.encode()))
        at = rng.randrange(len(message))
        byte = alphabet[rng.randrange(len(alphabet))]
        action = rng.choice(("insert", "replace", "remove"))
        if action == "insert":
            message.insert(at, byte)
        elif action == "replace":
            message[at] = byte
        else:
            del message[at]
        mutated.append(bytes(message))
    return mutated


def test_watermark_time_follows_the_oracle_on_mutated_messages(batch_env: TableEnvironment) -> None:
    payloads = one_byte_mutations(1500)
    assert sql_event_times(batch_env, payloads, UTC_RULES) == oracle_event_times(payloads, UTC_RULES)


def test_source_reads_raw_messages_with_a_bounded_watermark_and_idle_timeout() -> None:
    ddl = job.kafka_source_ddl(KafkaSettings(readings_topic="t"), JobSettings(out_of_orderness_seconds=45,
                                                                              idle_partition_timeout_seconds=7), PARIS)
    assert "WATERMARK FOR event_time AS event_time - INTERVAL '45' SECOND" in ddl
    assert "'scan.watermark.idle-timeout' = '7 s'" in ddl
    assert "'format' = 'raw'" in ddl and "'topic' = 't'" in ddl


def test_dead_letters_are_written_exactly_once_keyed() -> None:
    ddl = job.keyed_records_sink_ddl("late_sink", "sensor.readings.late", KafkaSettings(), JobSettings())
    assert "'sink.delivery-guarantee' = 'exactly-once'" in ddl
    assert "'key.fields' = 'k'" in ddl


ADD, TAKE_BACK = 1, -1  # the versions step's weights


def change(weight: int, hour: int, region: str, temperature: float) -> Row:
    return Row(hour * HOUR_MS, region, temperature, weight)


def final_rows(changes: list[Row]) -> dict[tuple[int, str], tuple]:
    """Run with_copies_three_hours_later and hourly_means on signed contributions; the rows
    Cassandra ends with when the writer applies what they emit."""
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    settings = Settings()
    job.configure(t_env, settings)
    job.enable_mini_batches(t_env, settings)
    row_type = Types.ROW_NAMED(["hour_ms", "region", "temperature", "weight"],
                               [Types.LONG(), Types.STRING(), Types.DOUBLE(), Types.INT()])
    stream = internal_rows(t_env, t_env.from_data_stream(env.from_collection(changes, type_info=row_type)))
    results = job.hourly_means(t_env, job.with_copies_three_hours_later(t_env, stream))
    with results.execute().collect() as rows:
        changelog = [(row.get_row_kind(), tuple(row)) for row in rows]
    return {(hour_ms // HOUR_MS, region): values for (hour_ms, region), values in upserted(changelog).items()}


def test_means_retract_corrections_and_follow_the_hour_three_before() -> None:
    state = final_rows([
        change(ADD, 10, "Bretagne", 10.0),
        change(ADD, 13, "Bretagne", 20.0),
        change(ADD, 13, "Bretagne", 30.0),
        change(TAKE_BACK, 13, "Bretagne", 20.0),
        change(ADD, 13, "Bretagne", 22.0),
        change(ADD, 10, "Bretagne", 14.0),
        change(ADD, 11, "Corse", 5.0),
        change(TAKE_BACK, 11, "Corse", 5.0),
        # 14:00 loses its only reading while 11:00 keeps one: its row goes, 11:00's stays.
        change(ADD, 11, "Occitanie", 7.0),
        change(ADD, 14, "Occitanie", 8.0),
        change(TAKE_BACK, 14, "Occitanie", 8.0),
    ])
    assert state == {
        (10, "Bretagne"): (12.0, 2, None), (13, "Bretagne"): (26.0, 2, 12.0), (11, "Occitanie"): (7.0, 1, None),
    }
