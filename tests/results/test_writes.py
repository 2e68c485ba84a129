"""The writes of a change: both tables in one logged batch, with the same values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cassandra.query import BatchType

from results.tables import COLUMNS, RESULT_TABLES
from results.writes import HourlyMeansTables

HOUR = datetime(2019, 4, 28, 4, tzinfo=UTC)


class FakeBatch:
    def __init__(self, batch_type: BatchType) -> None:
        self.batch_type = batch_type
        self.added: list[tuple[str, tuple]] = []

    def add(self, statement: str, values: tuple) -> None:
        self.added.append((statement, values))


class RecordingSession:
    """Prepared statements are their text; executed batches are kept."""

    def __init__(self) -> None:
        self.batches: list[FakeBatch] = []

    def prepare(self, text: str) -> str:
        return text

    def execute(self, batch: FakeBatch) -> None:
        self.batches.append(batch)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> RecordingSession:
    monkeypatch.setattr("cassandra.query.BatchStatement", FakeBatch)
    return RecordingSession()


def test_an_upsert_writes_every_column_of_both_tables_in_one_logged_batch(session: RecordingSession) -> None:
    HourlyMeansTables(session, "iot").upsert(HOUR, "Bretagne", 12.5, 4, None)
    (batch,) = session.batches
    assert batch.batch_type == BatchType.LOGGED
    assert [statement.split()[2] for statement, _ in batch.added] == [f"iot.{table}" for table in RESULT_TABLES]
    for statement, values in batch.added:
        assert statement.endswith(f"({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)")
        assert values[:5] == (HOUR, "Bretagne", 12.5, 4, None) and values[5].tzinfo is UTC


def test_a_delete_removes_the_key_from_both_tables(session: RecordingSession) -> None:
    HourlyMeansTables(session, "iot").delete(HOUR, "Corse")
    (batch,) = session.batches
    assert batch.added == [(f"DELETE FROM iot.{table} WHERE hour = ? AND region = ?", (HOUR, "Corse")) for table in RESULT_TABLES]


def test_the_keyspace_is_checked_before_it_goes_into_cql(session: RecordingSession) -> None:
    with pytest.raises(ValueError, match="not a Cassandra keyspace name"):
        HourlyMeansTables(session, "iot; DROP KEYSPACE iot")
