"""Reads of the two result tables (docs/contract.md §4.1), one prepared statement per query shape."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from cassandra.cluster import Session

from geo import REGION_NAMES
from infra.cassandra_session import checked_identifier

COLUMNS = "hour, region, mean_temperature, readings, mean_temperature_3h_before, updated_at"


class ResultRow(NamedTuple):
    """One (hour, region) result; ``hour`` and ``updated_at`` are aware UTC datetimes."""

    hour: datetime
    region: str
    mean_temperature: float
    readings: int
    mean_temperature_3h_before: float | None
    updated_at: datetime | None


def result_row(row: tuple) -> ResultRow:
    """cassandra-driver returns ``timestamp`` columns as naive UTC datetimes."""
    hour, region, mean, readings, before, updated_at = row
    updated_at = None if updated_at is None else updated_at.replace(tzinfo=timezone.utc)
    return ResultRow(hour.replace(tzinfo=timezone.utc), region, mean, readings, before, updated_at)


class ResultTables:
    """The queries of ``iot-query``; every value is bound, only the checked keyspace is in the text."""

    def __init__(self, session: Session, keyspace: str) -> None:
        keyspace = checked_identifier(keyspace)
        self._session = session
        self._by_hour = session.prepare(f"SELECT {COLUMNS} FROM {keyspace}.region_hourly_temperature WHERE hour = ?")
        self._history = session.prepare(
            f"SELECT {COLUMNS} FROM {keyspace}.region_temperature_history WHERE region = ? LIMIT ?"
        )

    def hour(self, hour: datetime) -> list[ResultRow]:
        """Every region's row for the UTC hour starting at ``hour`` (one partition)."""
        return [result_row(row) for row in self._session.execute(self._by_hour, (hour,))]

    def history(self, region: str, limit: int) -> list[ResultRow]:
        """The newest ``limit`` hours of ``region``, newest first (the table's clustering order)."""
        return [result_row(row) for row in self._session.execute(self._history, (region, limit))]

    def latest_hour(self) -> datetime | None:
        """The most recent hour holding a row, or None when the tables are empty.

        The hour is the partition key of the by-hour table, so it cannot be range-scanned;
        the history table keeps each region's hours newest first, so the newest row of each
        of the 18 region partitions, read concurrently, gives the answer exactly.
        """
        futures = [self._session.execute_async(self._history, (region, 1)) for region in REGION_NAMES]
        newest = [result_row(row).hour for future in futures for row in future.result()]
        return max(newest, default=None)
