"""The reads of the result tables, against a fake session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readings.timestamps import FIRST_MS, LAST_MS
from results.reads import ResultTables, read_whole_tables
from results.rows import ResultRow, result_row
from results.tables import RESULT_TABLES

NAIVE_HOUR = datetime(1999, 12, 31, 23)
HOUR = NAIVE_HOUR.replace(tzinfo=UTC)


class Done:
    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows

    def result(self) -> list[tuple]:
        return self.rows


class FakeSession:
    """Prepared statements are their text; executions are recorded and answered from ``rows``."""

    def __init__(self, rows: dict[tuple, list[tuple]]) -> None:
        self.rows = rows
        self.executed: list[tuple] = []

    def prepare(self, text: str) -> str:
        return text

    def execute(self, statement: str, values: tuple = ()) -> list[tuple]:
        self.executed.append((statement, values))
        return self.rows.get(values or (statement,), [])

    def execute_async(self, statement: str, values: tuple) -> Done:
        return Done(self.execute(statement, values))


def driver_row(region: str, hour: datetime = NAIVE_HOUR, updated_at: datetime | None = NAIVE_HOUR) -> tuple:
    return (hour, region, 10.5, 2, None, updated_at)


def test_driver_rows_become_aware_utc() -> None:
    assert result_row(driver_row("Corse")) == ResultRow(HOUR, "Corse", 10.5, 2, None, HOUR)
    assert result_row(driver_row("Corse", updated_at=None)).updated_at is None


def test_an_hour_is_one_bound_partition_read() -> None:
    session = FakeSession({(HOUR,): [driver_row("Corse"), driver_row("Bretagne")]})
    rows = ResultTables(session, "iot").hour(HOUR)
    assert [row.region for row in rows] == ["Corse", "Bretagne"]
    (statement, values), = session.executed
    assert statement.endswith("FROM iot.region_hourly_temperature WHERE hour = ?") and values == (HOUR,)


def test_history_binds_the_region_and_the_limit() -> None:
    session = FakeSession({("Corse", 3): [driver_row("Corse")]})
    assert len(ResultTables(session, "iot").history("Corse", 3)) == 1
    assert session.executed[0][0].endswith("FROM iot.region_temperature_history WHERE region = ? LIMIT ?")


def test_the_latest_hour_is_the_newest_row_of_any_region() -> None:
    newer = datetime(2000, 1, 1, 3)
    session = FakeSession({("Corse", 1): [driver_row("Corse")], ("Mayotte", 1): [driver_row("Mayotte", newer)]})
    assert ResultTables(session, "iot").latest_hour() == newer.replace(tzinfo=UTC)
    assert len(session.executed) == 18


def test_empty_tables_have_no_latest_hour() -> None:
    assert ResultTables(FakeSession({}), "iot").latest_hour() is None


def test_the_keyspace_must_be_a_keyspace_name() -> None:
    for read in (ResultTables, read_whole_tables):
        with pytest.raises(ValueError, match="not a Cassandra keyspace name"):
            read(FakeSession({}), "iot; DROP KEYSPACE iot")


def test_whole_tables_are_both_tables_with_the_hours_no_datetime_holds_apart() -> None:
    hour_ms = int(HOUR.timestamp() * 1000)
    year_zero, year_ten_thousand = FIRST_MS - 3_600_000, LAST_MS + 1
    hourly = ("SELECT toUnixTimestamp(hour), region, mean_temperature, readings, mean_temperature_3h_before "
              "FROM iot.region_hourly_temperature",)
    history = (hourly[0].replace("region_hourly_temperature", "region_temperature_history"),)
    session = FakeSession({
        hourly: [(hour_ms, "Bretagne", 10.0, 2, None), (year_zero, "Corse", 1.0, 1, None)],
        history: [(year_ten_thousand, "Corse", 1.0, 1, None)],
    })
    whole = read_whole_tables(session, "iot")
    assert list(whole.rows) == list(RESULT_TABLES)
    assert whole.rows[RESULT_TABLES[0]] == [ResultRow(HOUR, "Bretagne", 10.0, 2, None, None)]
    assert whole.rows[RESULT_TABLES[1]] == []
    assert whole.unshowable_hours == {RESULT_TABLES[0]: [year_zero], RESULT_TABLES[1]: [year_ten_thousand]}
