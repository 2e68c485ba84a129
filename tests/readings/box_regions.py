"""A stand-in for ``geo.RegionIndex`` in the readings tests: one box for Bretagne, nowhere else."""

from __future__ import annotations

import numpy as np


class BoxRegions:
    """Bretagne is the box lat 47-49, lon -5 to -1; everything else is nowhere."""

    def __init__(self) -> None:
        self.lookups = 0

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        self.lookups += 1
        inside = (lat >= 47) & (lat <= 49) & (lon >= -5) & (lon <= -1)
        names = np.full(inside.shape, None, dtype=object)
        names[inside] = "Bretagne"
        return names

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array(["Bretagne"] * len(lat), dtype=object), np.full(len(lat), 123.456)
