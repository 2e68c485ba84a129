"""Stand-ins for the results topic and Cassandra, and records in the topic's format."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from dashboard.feed import Deliver
from dashboard.history import HistoryUnavailable
from results.rows import ResultRow

HOUR = datetime(2026, 12, 5, 13, tzinfo=UTC)


def hour_text(hour: datetime) -> str:
    return hour.strftime("%Y-%m-%dT%H:%M:%SZ")


def record_key(hour: datetime, region: str) -> bytes:
    return f"{hour_text(hour)}/{region}".encode()


def record_value(hour: datetime, region: str, mean: Any = 9.53, readings: Any = 120, before: Any = 8.1,
                 **changes: Any) -> bytes:  # fmt: skip
    fields = {"hour": hour_text(hour), "region": region, "mean_temperature": mean, "readings": readings,
              "mean_temperature_3h_before": before, "updated_at": "2026-12-05T13:05:01.123Z"}  # fmt: skip
    fields.update(changes)
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def record(hour: datetime, region: str, mean: float, readings: int = 10) -> tuple[bytes, bytes]:
    return record_key(hour, region), record_value(hour, region, mean, readings)


class FakeFeed:
    """A feed whose records the test injects; ``inject`` returns once the app has taken them."""

    def __init__(self, *initial: tuple[bytes | None, bytes | None]) -> None:
        self._initial = list(initial)
        self._deliver: Deliver | None = None
        self.started = threading.Event()
        self.stopped = False

    def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        if self._initial:
            threading.Thread(target=deliver, args=(self._initial,)).start()  # as the real feed: from its thread
        self.started.set()

    def inject(self, *records: tuple[bytes | None, bytes | None]) -> None:
        assert self.started.wait(10), "the app did not start the feed"
        assert self._deliver is not None
        self._deliver(list(records))

    def stop(self) -> None:
        self.stopped = True


class FakeHistory:
    """A region's history from a list of rows; ``down`` makes it answer as Cassandra down does."""

    def __init__(self, rows: list[ResultRow] | None = None, down: bool = False) -> None:
        self.rows = rows or []
        self.down = down
        self.asked: list[tuple[str, int]] = []

    def last_hours(self, region: str, hours: int) -> list[ResultRow]:
        self.asked.append((region, hours))
        if self.down:
            raise HistoryUnavailable("the history cannot be read now: NoHostAvailable")
        mine = sorted((row for row in self.rows if row.region == region), key=lambda row: row.hour, reverse=True)
        return mine[:hours]

    def close(self) -> None:
        pass


def hourly_rows(region: str, newest: datetime, count: int) -> list[ResultRow]:
    """``count`` hours of ``region`` up to ``newest``, a mean that rises by 0.5 an hour."""
    return [ResultRow(newest - timedelta(hours=k), region, 10.0 - 0.5 * k, 5, None, newest) for k in range(count)]
