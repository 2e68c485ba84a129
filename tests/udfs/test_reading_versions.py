"""The versions step (JVM, ``jvm/job-functions``): docs/contract.md §3.4's rules, then the step in a
local Flink, exactly as the job builds it (``versioned_contributions``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pyflink.common import Row
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment, Table

from jobs import hourly_region_means as job
from results.hours import HOUR_MS
from settings import JobSettings
from udfs.internal_rows import internal_rows, rows_table
from udfs.jvm_functions import job_functions, with_job_functions

LATENESS_MS = 3 * HOUR_MS
RETENTION_MS = 3 * HOUR_MS + 30_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS  # an hour boundary
NO_WATERMARK = None
ADDED, TAKEN_BACK = 1, -1  # the weights of ReadingVersions
COLUMNS = ["id", "event_ms", "lat", "lon", "temperature", "region", "watermark_ms"]


@pytest.fixture(scope="module")
def env() -> StreamExecutionEnvironment:
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    return env


@pytest.fixture(scope="module")
def versions(env: StreamExecutionEnvironment):
    """The Java package ``fr.iot.temperature.versions``, loaded from the job functions jar."""
    return job_functions().versions


def version(versions, minutes: float, temperature: float = 20.0, region: str = "Bretagne"):
    return versions.Version(int(T0 + minutes * 60_000), 48.1, -1.7, temperature, region)


@pytest.mark.parametrize(
    ("previous", "new", "watermark", "expected"),
    [
        (None, (0,), NO_WATERMARK, "NEW"),
        (None, (0,), T0 + 2 * HOUR_MS, "NEW"),
        ((0,), (0,), T0, "DUPLICATE"),
        ((0, 0.0), (0, -0.0), T0, "DUPLICATE"),  # equal as the oracle compares them
        ((0,), (0, 21.0), T0, "CORRECTION"),
        ((0,), (70, 21.0, "Normandie"), T0, "CORRECTION"),
        (None, (0,), T0 + 3 * HOUR_MS + 1, "TOO_LATE"),
        ((0,), (200,), T0 + 3 * HOUR_MS + 1, "REPLACES_TOO_LATE"),
        ((0,), (0,), T0 + 3 * HOUR_MS + 1, "TOO_LATE"),
        ((0,), (1,), T0 + 3 * HOUR_MS, "CORRECTION"),
    ],
)
def test_judge(versions, previous: tuple | None, new: tuple, watermark: int | None, expected: str) -> None:
    rules = versions.VersionRules(LATENESS_MS, RETENTION_MS)
    before = None if previous is None else version(versions, *previous)
    at = versions.VersionRules.NO_WATERMARK if watermark is None else watermark
    assert rules.judge(before, version(versions, *new), at).name() == expected


def test_hour_is_the_utc_hour_start(versions) -> None:
    assert version(versions, 59.99).hourMs() == T0
    assert version(versions, 60).hourMs() == T0 + HOUR_MS
    assert versions.Version(-1, 0.0, 0.0, 0.0, "x").hourMs() == -HOUR_MS


@pytest.mark.parametrize("region", ["Bretagne", "Provence-Alpes-Côte d'Azur", ""])
def test_a_stored_version_reads_back_the_same_to_the_bit(versions, region: str) -> None:
    for event_ms, temperature in ((T0, -0.0), (-1, 1e-300), (2**62, -273.15)):
        stored = versions.Version(event_ms, -90.0, 180.0, temperature, region)
        back = versions.Version.fromBytes(stored.toBytes())
        assert (back.eventMs(), back.lat(), back.lon(), back.region()) == (event_ms, -90.0, 180.0, region)
        assert str(back.temperature()) == str(temperature)  # -0.0 stays -0.0


def test_ids_are_forgotten_after_the_retention_on_a_minute_boundary(versions) -> None:
    rules = versions.VersionRules(LATENESS_MS, RETENTION_MS)
    moment = rules.forgetAt(version(versions, 0))
    assert T0 + RETENTION_MS <= moment < T0 + RETENTION_MS + 60_000
    assert moment % 60_000 == 0


def reading(reading_id: str, minutes: float, temperature: float = 20.0, region: str = "Bretagne",
            watermark: int | None = T0) -> Row:
    """A located reading as the versions step gets it, with its partition's watermark."""
    return Row(reading_id, int(T0 + minutes * 60_000), 48.1, -1.7, temperature, region, watermark)


def versioned(env: StreamExecutionEnvironment,
              readings: Callable[[StreamTableEnvironment], Table]) -> tuple[list[tuple], list[dict]]:
    """The step's (value changes with their weights, late records) for the readings table built by ``readings``."""
    t_env = StreamTableEnvironment.create(env)
    settings = JobSettings(allowed_lateness_seconds=LATENESS_MS // 1000)
    contributions, late = job.versioned_contributions(t_env, internal_rows(t_env, readings(t_env)), settings)
    with rows_table(t_env, contributions).execute().collect() as rows:
        changes = [(row[3], (row[0] - T0) // 60_000, row[1], row[2]) for row in rows]
    with late.execute().collect() as rows:
        records = [json.loads(row[1]) | {"key": row[0]} for row in rows]
    return changes, records


def sql_literal(value: object) -> str:
    if value is None:
        return "CAST(NULL AS BIGINT)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return f"CAST({value!r} AS {'DOUBLE' if isinstance(value, float) else 'BIGINT'})"


def readings_at(rows: list[Row], per_second: int = 1000):
    """The rows as a table with an event-time watermark, emitted ``per_second`` (a datagen
    sequence picks them): at 1 a second, watermarks (every 200 ms) pass between them, so the
    event-time timers of the rows before have fired when the next one comes."""

    def build(t_env: StreamTableEnvironment) -> Table:
        table = f"readings_{id(rows)}_{per_second}"
        columns = ", ".join(
            f"CASE n {' '.join(f'WHEN {i} THEN {sql_literal(row[c])}' for i, row in enumerate(rows, 1))} END AS {name}"
            for c, name in enumerate(COLUMNS)
        )
        t_env.execute_sql(
            f"CREATE TEMPORARY TABLE {table} ("
            f" n INT, ts AS TO_TIMESTAMP_LTZ(CASE n {' '.join(f'WHEN {i} THEN {row[1]}' for i, row in enumerate(rows, 1))}"
            f" END, 3),"
            f" WATERMARK FOR ts AS ts"
            f") WITH ('connector' = 'datagen', 'rows-per-second' = '{per_second}',"
            f" 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '{len(rows)}')"
        )
        return t_env.sql_query(f"SELECT {columns} FROM {table}")

    return build


def test_new_duplicate_correction_and_late_versions(env: StreamExecutionEnvironment) -> None:
    changes, late = versioned(env, readings_at([
        reading("a", 0, 20.0),
        reading("a", 0, 20.0),                                # exact duplicate: nothing
        reading("a", 70, 22.0, "Normandie"),                  # moves to the next hour and another region
        reading("b", 5, 18.0),
        reading("c", 0, 15.0, watermark=T0 + 4 * HOUR_MS),    # too late itself
        reading("b", 250, 19.0, watermark=T0 + 4 * HOUR_MS),  # replaces a version older than the horizon
        reading("d", 0, 11.0, watermark=None),                # before its partition had a watermark
    ]))
    assert changes == [
        (ADDED, 0, "Bretagne", 20.0),
        (TAKEN_BACK, 0, "Bretagne", 20.0),
        (ADDED, 60, "Normandie", 22.0),
        (ADDED, 0, "Bretagne", 18.0),
        (ADDED, 0, "Bretagne", 11.0),
    ]
    assert [(r["key"], r["id"], r["temperature"]) for r in late] == [("c", "c", 15.0), ("b", "b", 19.0)]
    assert {k: v for k, v in late[0].items() if k != "key"} == {
        "id": "c", "timestamp": "2023-11-14T22:00:00.000Z", "lat": 48.1, "lon": -1.7, "temperature": 15.0,
        "region": "Bretagne", "watermark": "2023-11-15T02:00:00.000Z", "reason": "too_late",
        "detail": "its event time is older than watermark minus allowed lateness",
    }
    assert late[1]["detail"] == "the version it would replace is older than watermark minus allowed lateness"


def test_ids_are_json_escaped_in_late_records(env: StreamExecutionEnvironment) -> None:
    odd = 'q"\\\n\t\x01é'
    _, late = versioned(env, readings_at([reading(odd, 0, watermark=T0 + 4 * HOUR_MS)]))
    assert [(r["key"], r["id"]) for r in late] == [(odd, odd)]


def test_an_id_is_forgotten_once_the_watermark_passes_its_retention(env: StreamExecutionEnvironment) -> None:
    changes, _ = versioned(env, readings_at([
        reading("a", 0, 20.0, watermark=None),
        reading("c", 599, 10.0, watermark=None),
        reading("b", 600, 12.0, watermark=None),  # its watermark passes a's retention, not c's
        reading("a", 1, 25.0, watermark=None),    # a was forgotten: counted as new
        reading("c", 599, 30.0, watermark=None),  # c was kept: a correction
    ], per_second=1))
    assert changes == [
        (ADDED, 0, "Bretagne", 20.0),
        (ADDED, 540, "Bretagne", 10.0),
        (ADDED, 600, "Bretagne", 12.0),
        (ADDED, 0, "Bretagne", 25.0),
        (TAKEN_BACK, 540, "Bretagne", 10.0),
        (ADDED, 540, "Bretagne", 30.0),
    ]
