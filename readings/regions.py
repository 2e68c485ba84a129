"""Which region a batch of valid readings falls in; those in none become ``outside_france``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from readings.model import Reading, Rejection
from readings.reasons import Reason


class RegionLookup(Protocol):
    """The part of ``geo.RegionIndex`` this needs (a protocol, so tests can pass a small fake)."""

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray: ...

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def locate_readings(readings: Sequence[Reading], regions: RegionLookup) -> list[str | Rejection]:
    """The region name of each reading, or its ``outside_france`` rejection, in input order.

    One vectorised lookup for the whole batch, then one nearest-region query for the misses.
    """
    if not readings:
        return []
    lat = np.fromiter((reading.lat for reading in readings), dtype=float, count=len(readings))
    lon = np.fromiter((reading.lon for reading in readings), dtype=float, count=len(readings))
    located: list[str | Rejection] = list(regions.lookup(lat, lon))
    outside = [position for position, name in enumerate(located) if name is None]
    if outside:
        names, distances_km = regions.nearest(lat[outside], lon[outside])
        for position, name, distance_km in zip(outside, names, distances_km, strict=True):
            reading = readings[position]
            located[position] = Rejection(
                Reason.OUTSIDE_FRANCE,
                f"({reading.lat}, {reading.lon}) is in no region of France; "
                f"nearest is {name}, {float(distance_km):.1f} km away",
                reading.raw,
                reading.id,
            )
    return located
