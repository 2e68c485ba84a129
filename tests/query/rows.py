"""Result rows for the query tests, and a fake of the tables they come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from results.rows import ResultRow

HOUR = datetime(1999, 12, 31, 23, tzinfo=UTC)
UPDATED = datetime(2000, 1, 1, 0, 5, tzinfo=UTC)


def row(region: str, mean: float, readings: int, before: float | None = None, hour: datetime = HOUR) -> ResultRow:
    return ResultRow(hour, region, mean, readings, before, UPDATED)


HOUR_ROWS = [row("Occitanie", 14.0, 3), row("Île-de-France", 9.123, 12, 8.5), row("Bretagne", 10.5, 2, -1.25)]
HISTORY_ROWS = [row("Corse", 18.0, 4, 15.0), row("Corse", 17.0, 1, hour=HOUR - timedelta(hours=1))]


class FakeTables:
    """``ResultTables`` with rows in memory: what each query returns, and what was asked."""

    def __init__(self, by_hour: dict[datetime, list[ResultRow]] | None = None, history: list[ResultRow] | None = None) -> None:
        self.by_hour = by_hour or {}
        self.rows_of_history = history or []
        self.asked: list[tuple] = []

    def hour(self, hour: datetime) -> list[ResultRow]:
        self.asked.append(("hour", hour))
        return self.by_hour.get(hour, [])

    def history(self, region: str, limit: int) -> list[ResultRow]:
        self.asked.append(("history", region, limit))
        return self.rows_of_history[:limit]

    def latest_hour(self) -> datetime | None:
        return max(self.by_hour, default=None)
