"""Comparing the oracle's rows with rows read from Cassandra."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from oracle import ExpectedOutcome, ExpectedRow, diff_tables

HOUR = datetime(2019, 4, 28, 4, tzinfo=UTC)


class DriverRow(NamedTuple):
    """What cassandra-driver returns: ``hour`` as a naive UTC datetime."""

    hour: datetime
    region: str
    mean_temperature: float
    readings: int
    mean_temperature_3h_before: float | None


EXPECTED = ExpectedOutcome(
    rows=(ExpectedRow(HOUR, "Bretagne", 12.5, 2, None), ExpectedRow(HOUR, "Corse", 18.0, 1, 17.0)), late=(), rejected=()
)


def driver_rows(*changes: dict) -> list[DriverRow]:
    rows = [DriverRow(row.hour.replace(tzinfo=None), *row[1:]) for row in EXPECTED.rows]
    return [row._replace(**change) for row, change in zip(rows, changes, strict=False)] + rows[len(changes):]


def both(rows: list) -> dict[str, list]:
    return {"region_hourly_temperature": rows, "region_temperature_history": rows}


def test_the_same_rows_give_no_diff() -> None:
    assert diff_tables(EXPECTED, both(driver_rows())) == []


def test_aware_hours_in_another_zone_compare_by_instant() -> None:
    paris = timezone(timedelta(hours=2))
    rows = [row._replace(hour=row.hour.replace(tzinfo=UTC).astimezone(paris)) for row in driver_rows()]
    assert diff_tables(EXPECTED, both(rows)) == []


def test_means_within_the_tolerance_are_equal() -> None:
    assert diff_tables(EXPECTED, both(driver_rows({"mean_temperature": 12.5 + 5e-10}))) == []


def test_each_table_reports_missing_and_extra_rows() -> None:
    extra = DriverRow(datetime(2019, 4, 28, 5), "Bretagne", 1.0, 1, None)
    tables: dict[str, list] = {
        "region_hourly_temperature": driver_rows()[:1],
        "region_temperature_history": [*driver_rows(), extra],
    }
    diff = diff_tables(EXPECTED, tables)
    assert diff == [
        "region_hourly_temperature: missing (2019-04-28T04:00:00+00:00, Corse): mean 18.0 of 1 readings, 3 h before 17.0",
        "region_temperature_history: extra (2019-04-28T05:00:00+00:00, Bretagne): mean 1.0 of 1 readings, 3 h before None",
    ]


def test_counts_means_and_the_column_three_hours_before_are_compared() -> None:
    rows = driver_rows({"readings": 3, "mean_temperature": 12.6}, {"mean_temperature_3h_before": None})
    assert diff_tables(EXPECTED, both(rows))[:3] == [
        "region_hourly_temperature: (2019-04-28T04:00:00+00:00, Bretagne): readings 3, expected 2",
        "region_hourly_temperature: (2019-04-28T04:00:00+00:00, Bretagne): mean_temperature 12.6, expected 12.5",
        "region_hourly_temperature: (2019-04-28T04:00:00+00:00, Corse): mean_temperature_3h_before None, expected 17.0",
    ]
    assert diff_tables(EXPECTED, both(driver_rows({}, {"mean_temperature_3h_before": 17.1})))[0].endswith(
        "mean_temperature_3h_before 17.1, expected 17.0"
    )
