"""The ingestion's clock, moved only by the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.clock import Clock


class FakeClock(Clock):
    """Time that moves only when waited on; ``stop_after`` requests a stop after that many waits."""

    def __init__(self, start: float = 1000.0, stop_after: int | None = None) -> None:
        super().__init__()
        self.time = start
        self.wall = datetime(2019, 2, 19, 14, 5, tzinfo=UTC)
        self.waits: list[float] = []
        self.stop_after = stop_after

    def monotonic(self) -> float:
        return self.time

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.time - 1000.0)

    def wait(self, seconds: float) -> bool:
        self.waits.append(max(0.0, seconds))
        self.time += max(0.0, seconds)
        if self.stop_after is not None and len(self.waits) >= self.stop_after:
            self.request_stop()
        return self.stopping

    def advance(self, seconds: float) -> None:
        self.time += seconds
