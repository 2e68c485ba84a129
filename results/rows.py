"""A row of either results table, as every reader of the tables takes it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from results.hours import as_utc


class ResultRow(NamedTuple):
    """One (hour, region) result; ``hour`` and ``updated_at`` are aware UTC datetimes."""

    hour: datetime
    region: str
    mean_temperature: float
    readings: int
    mean_temperature_3h_before: float | None
    updated_at: datetime | None


def result_row(row: tuple) -> ResultRow:
    """A row of ``tables.COLUMNS`` as the driver returns it (``timestamp`` columns naive UTC)."""
    hour, region, mean, readings, before, updated_at = row
    return ResultRow(as_utc(hour), region, mean, readings, before, None if updated_at is None else as_utc(updated_at))
