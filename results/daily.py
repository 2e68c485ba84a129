"""The daily table (docs/contract.md §4.1): minimum, maximum and mean temperature per region and UTC day.

Written by the job's daily statement when ``IOT_JOB_DAILY_AGGREGATION`` is on (a backfill's run,
``iot-backfill --aggregation daily``), copied by the backfill, read by whoever wants days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from results.hours import as_utc
from settings import values

DAILY_TABLE = "region_daily_temperature"
DAY_MS = 86_400_000
DAILY_COLUMNS = ("day", "region", "min_temperature", "max_temperature", "mean_temperature", "readings", "updated_at")


class DailyRow(NamedTuple):
    """One (day, region); ``day`` is an aware UTC midnight."""

    day: datetime
    region: str
    min_temperature: float
    max_temperature: float
    mean_temperature: float
    readings: int
    updated_at: datetime | None


# Statements of the daily table ``{table}`` (keyspace.table, a checked name); every value bound.
UPSERT = f"INSERT INTO {{table}} ({', '.join(DAILY_COLUMNS)}) VALUES ({', '.join('?' * len(DAILY_COLUMNS))})"
DELETE = "DELETE FROM {table} WHERE day = ? AND region = ?"
SELECT_DAY = f"SELECT {', '.join(DAILY_COLUMNS)} FROM {{table}} WHERE day = ?"


class DailyTable:
    """Reads and writes of the daily table of one keyspace; every value bound."""

    def __init__(self, session: Any, keyspace: str) -> None:
        table = f"{values.keyspace_name(keyspace)}.{DAILY_TABLE}"
        self._session = session
        self._upsert = session.prepare(UPSERT.format(table=table))
        self._delete = session.prepare(DELETE.format(table=table))
        self._day = session.prepare(SELECT_DAY.format(table=table))

    def upsert(self, row: DailyRow) -> None:
        self._session.execute(self._upsert, tuple(row))

    def delete(self, day: datetime, region: str) -> None:
        self._session.execute(self._delete, (day, region))

    def day(self, day: datetime) -> list[DailyRow]:
        """Every region's row of the UTC day starting at ``day`` (one partition)."""
        return [daily_row(row) for row in self._session.execute(self._day, (day,))]


def daily_row(row: tuple) -> DailyRow:
    """A row of ``DAILY_COLUMNS`` as the driver returns it (``timestamp`` columns naive UTC)."""
    day, region, low, high, mean, readings, updated_at = row
    return DailyRow(as_utc(day), region, low, high, mean, readings, None if updated_at is None else as_utc(updated_at))
