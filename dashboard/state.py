"""The result rows the dashboard holds: the last K hours counted back from the newest, no more.

Fed from the start of the compacted topic, then live; it is what a page gets on connecting. Its
size is bounded by ``hours_kept`` x 18 regions whatever the topic holds: records of older hours
are ignored, and a record more than an hour ahead of the clock too (one bad hour far in the
future would otherwise push every real hour out).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dashboard.records import Change, Removal
from results.rows import ResultRow

ONE_HOUR = timedelta(hours=1)
# The job takes readings up to IOT_RULES_FUTURE_MARGIN_SECONDS (10 min) ahead: their hour starts
# at most one hour after the clock's.
FUTURE_HOURS = ONE_HOUR


def wall_clock() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


class CurrentResults:
    """Rows by (hour, region) for the newest ``hours_kept`` hours; ``apply`` says what changed."""

    def __init__(self, hours_kept: int, clock: Callable[[], datetime] = wall_clock) -> None:
        if hours_kept < 1:
            raise ValueError("hours_kept must be at least 1")
        self.hours_kept = hours_kept
        self._clock = clock
        self._rows: dict[tuple[datetime, str], ResultRow] = {}
        self._newest_hour: datetime | None = None

    def apply(self, change: Change) -> bool:
        """Take ``change``; False when it falls outside the kept hours, or changes nothing."""
        if change.hour > self._clock() + FUTURE_HOURS or not self._in_window(change.hour):
            return False
        key = (change.hour, change.region)
        if isinstance(change, Removal):
            return self._rows.pop(key, None) is not None
        if self._rows.get(key) == change:
            return False
        self._rows[key] = change
        if self._newest_hour is None or change.hour > self._newest_hour:
            self._newest_hour = change.hour
            self._forget_old_hours()
        return True

    def rows(self) -> list[ResultRow]:
        """Every row held, oldest hour first."""
        return sorted(self._rows.values(), key=lambda row: (row.hour, row.region))

    @property
    def newest_hour(self) -> datetime | None:
        return self._newest_hour

    def _in_window(self, hour: datetime) -> bool:
        return self._newest_hour is None or hour > self._newest_hour - self.hours_kept * ONE_HOUR

    def _forget_old_hours(self) -> None:
        for key in [key for key in self._rows if not self._in_window(key[0])]:
            del self._rows[key]
