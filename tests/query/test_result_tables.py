"""The prepared reads of the result tables, against a fake session."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from query.result_tables import ResultRow, ResultTables, result_row

NAIVE_HOUR = datetime(1999, 12, 31, 23)
HOUR = NAIVE_HOUR.replace(tzinfo=timezone.utc)


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

    def execute(self, statement: str, values: tuple) -> list[tuple]:
        self.executed.append((statement, values))
        return self.rows.get(values, [])

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
    assert ResultTables(session, "iot").latest_hour() == newer.replace(tzinfo=timezone.utc)
    assert len(session.executed) == 18


def test_empty_tables_have_no_latest_hour() -> None:
    assert ResultTables(FakeSession({}), "iot").latest_hour() is None


def test_the_keyspace_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="not a valid Cassandra identifier"):
        ResultTables(FakeSession({}), "iot; DROP KEYSPACE iot")
