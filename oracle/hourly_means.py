"""The result rows from the winning versions: mean and count per (UTC hour, region), and the mean three hours before."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from oracle.outcome import ExpectedRow
from results.hours import HOUR_MS, hour_of


class Winner(NamedTuple):
    """The part of a winning version the means need."""

    event_time_ms: int
    region: str
    temperature: float


def exact_mean(values: pd.Series) -> float:
    """The correctly rounded mean: ``math.fsum`` does not lose digits to the order of the additions."""
    return math.fsum(values) / len(values)


def hourly_means(winners: Iterable[Winner]) -> tuple[ExpectedRow, ...]:
    """One row per (hour, region) holding at least one winner, sorted by hour then region."""
    frame = pd.DataFrame(list(winners), columns=list(Winner._fields))
    if frame.empty:
        return ()
    frame["hour_ms"] = frame["event_time_ms"] - frame["event_time_ms"] % HOUR_MS
    means = (
        frame.groupby(["hour_ms", "region"], sort=True)["temperature"]
        .agg(mean_temperature=exact_mean, readings="size")
        .reset_index()
    )
    three_hours_later = means[["hour_ms", "region", "mean_temperature"]].rename(
        columns={"mean_temperature": "mean_temperature_3h_before"}
    )
    three_hours_later["hour_ms"] += 3 * HOUR_MS
    rows = means.merge(three_hours_later, on=["hour_ms", "region"], how="left")
    return tuple(
        ExpectedRow(
            hour_of(int(hour_ms)),
            region,
            float(mean),
            int(count),
            None if pd.isna(before) else float(before),
        )
        for hour_ms, region, mean, count, before in rows.itertuples(index=False)
    )
