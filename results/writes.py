"""The writes of the results: a change of one (hour, region) goes to both tables in one logged batch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from results.tables import COLUMNS, RESULT_TABLES
from settings import values

# Both tables have the same columns; only their keys differ, so one statement shape serves both.
UPSERT = f"INSERT INTO {{keyspace}}.{{table}} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
DELETE = "DELETE FROM {keyspace}.{table} WHERE hour = ? AND region = ?"


def statements(shape: str, keyspace: str) -> list[str]:
    """``shape`` for each results table, in ``RESULT_TABLES`` order."""
    return [shape.format(keyspace=values.keyspace_name(keyspace), table=table) for table in RESULT_TABLES]


class HourlyMeansTables:
    """The two tables of docs/contract.md §4.1, written together in one logged batch per change."""

    def __init__(self, session: Any, keyspace: str) -> None:
        from cassandra.query import BatchStatement, BatchType

        self._session = session
        self._batch = lambda: BatchStatement(batch_type=BatchType.LOGGED)
        self._upserts = [session.prepare(text) for text in statements(UPSERT, keyspace)]
        self._deletes = [session.prepare(text) for text in statements(DELETE, keyspace)]

    def upsert(self, hour: datetime, region: str, mean: float, readings: int, mean_3h_before: float | None,
               updated_at: datetime | None = None) -> None:
        """``updated_at`` defaults to now (the writer passes the time it also publishes)."""
        now = updated_at or datetime.now(UTC)
        batch = self._batch()
        for upsert in self._upserts:
            batch.add(upsert, (hour, region, mean, readings, mean_3h_before, now))
        self._session.execute(batch)

    def delete(self, hour: datetime, region: str) -> None:
        batch = self._batch()
        for delete in self._deletes:
            batch.add(delete, (hour, region))
        self._session.execute(batch)
