"""The Cassandra history with a fake session: opened at the first question, again after a failure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from cassandra.cluster import NoHostAvailable

from dashboard.history import CassandraHistory, HistoryUnavailable
from settings import CassandraSettings
from tests.dashboard.fakes import HOUR

pytestmark = pytest.mark.timeout(30)


class FakeSession:
    """Answers the history query with the rows given; counts its shutdowns."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows
        self.asked: list[tuple] = []
        self.cluster = self
        self.shut = 0

    def prepare(self, text: str) -> str:
        return text

    def execute(self, statement: str, values: tuple) -> list[tuple]:
        self.asked.append(values)
        return self.rows[: values[1]]

    def shutdown(self) -> None:
        self.shut += 1


def test_the_history_opens_cassandra_at_the_first_question_and_again_after_a_failure() -> None:
    naive = HOUR.replace(tzinfo=None)  # the driver's timestamps
    session = FakeSession([(naive - timedelta(hours=k), "Corse", 14.0 - k, 3, None, naive) for k in range(30)])
    opened: list[CassandraSettings] = []

    def open_session(settings: CassandraSettings) -> Any:
        opened.append(settings)
        if len(opened) == 1:
            raise NoHostAvailable("down", {})
        return session

    history = CassandraHistory(CassandraSettings(keyspace="elsewhere"), open_session)
    with pytest.raises(HistoryUnavailable, match="NoHostAvailable"):
        history.last_hours("Corse", 24)
    rows = history.last_hours("Corse", 24)
    assert len(opened) == 2 and session.asked == [("Corse", 24)]
    assert len(rows) == 24 and rows[0].hour == HOUR and isinstance(rows[0].hour, datetime)
    history.last_hours("Corse", 24)
    assert len(opened) == 2  # the session is kept
    history.close()
    assert session.shut == 1
