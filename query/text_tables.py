"""The results as aligned text tables: the brief's table for an hour, and a region's history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from query.region_names import folded
from results.hours import hour_text
from results.rows import ResultRow

HOUR_COLUMNS = ("Region", "MeanTemperature", "Temperature3HoursAgo", "Readings")
HISTORY_COLUMNS = ("Hour (UTC)", "MeanTemperature", "Temperature3HoursAgo", "Readings")


def temperature(value: float | None) -> str:
    """Two decimals of a degree Celsius; ``-`` when there is no value (no row three hours before)."""
    return "-" if value is None else f"{value:.2f}"


def aligned(headers: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    """The first column left-aligned, the numbers right-aligned, a rule under the headers."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *lines, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *numbers = cells
        return "  ".join([first.ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(numbers, widths[1:], strict=True))])

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(cells) for cells in lines)])


def values(row: ResultRow) -> list[str]:
    return [temperature(row.mean_temperature), temperature(row.mean_temperature_3h_before), str(row.readings)]


def hour_table(hour: datetime, rows: Sequence[ResultRow]) -> str:
    """The brief's table for one hour, regions in alphabetical order (Île-de-France among the I's)."""
    ordered = sorted(rows, key=lambda row: folded(row.region))
    lines = [[row.region, *values(row)] for row in ordered]
    return f"Mean temperature by region, {hour_text(hour)} UTC\n\n" + aligned(HOUR_COLUMNS, lines)


def history_table(region: str, rows: Sequence[ResultRow]) -> str:
    """One region's hours, newest first, as the history table returns them."""
    lines = [[hour_text(row.hour), *values(row)] for row in rows]
    return f"{region}, the {len(rows)} most recent hours with readings\n\n" + aligned(HISTORY_COLUMNS, lines)
