"""Reads of the two result tables (docs/contract.md §4), one prepared statement per query shape."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from cassandra.cluster import Session

from geo import REGION_NAMES
from readings.timestamps import EPOCH, FIRST_MS, LAST_MS
from results.rows import ResultRow, result_row
from results.tables import COLUMNS, HISTORY_TABLE, HOURLY_TABLE, RESULT_TABLES
from settings import values

SELECTED = ", ".join(COLUMNS)


class ResultTables:
    """The queries of ``iot-query``; every value is bound, only the checked keyspace is in the text."""

    def __init__(self, session: Session, keyspace: str) -> None:
        keyspace = values.keyspace_name(keyspace)
        self._session = session
        self._by_hour = session.prepare(f"SELECT {SELECTED} FROM {keyspace}.{HOURLY_TABLE} WHERE hour = ?")
        self._history = session.prepare(f"SELECT {SELECTED} FROM {keyspace}.{HISTORY_TABLE} WHERE region = ? LIMIT ?")

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


class WholeTables(NamedTuple):
    """Every row of both tables by table name, and apart, per table, the hours (epoch ms) of the
    rows no datetime holds (outside the years 1 to 9999, which a job wrote before event times had
    an accepted range)."""

    rows: dict[str, list[ResultRow]]
    unshowable_hours: dict[str, list[int]]


# Hours read as epoch milliseconds: the driver raises OverflowError on a timestamp outside the
# years 1 to 9999.
WHOLE_TABLE_COLUMNS = "toUnixTimestamp(hour), region, mean_temperature, readings, mean_temperature_3h_before"


def read_whole_tables(session: Session, keyspace: str) -> WholeTables:
    """A full scan of both tables, paged by the driver (18 rows per hour); ``updated_at`` is not read."""
    keyspace = values.keyspace_name(keyspace)
    whole = WholeTables({}, {})
    for table in RESULT_TABLES:
        rows = session.execute(session.prepare(f"SELECT {WHOLE_TABLE_COLUMNS} FROM {keyspace}.{table}"))
        whole.rows[table], whole.unshowable_hours[table] = split_hours(rows)
    return whole


def split_hours(rows: Any) -> tuple[list[ResultRow], list[int]]:
    """Rows whose hour (epoch ms) is a datetime as ``ResultRow``; the other hours apart."""
    shown: list[ResultRow] = []
    apart: list[int] = []
    for hour_ms, region, mean, readings, before in rows:
        if FIRST_MS <= hour_ms <= LAST_MS:
            shown.append(ResultRow(EPOCH + timedelta(milliseconds=hour_ms), region, mean, readings, before, None))
        else:
            apart.append(hour_ms)
    return shown, apart
