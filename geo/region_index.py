"""RegionIndex: which of the 18 regions of France contains each point, for arrays of points.

The answer is exact with respect to the shipped polygons (geo/data/regions.geojson): a cell
grid per territory (metropolitan France with Corse, and each overseas region) answers most
points from a table, and the polygon test settles the points near a boundary.

Border rule: a region is a closed set, so a point exactly on its boundary is in it; a point
exactly on a border shared by two regions goes to the one listed first in ``REGION_NAMES``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import shapely
from numpy.typing import ArrayLike
from shapely.geometry import MultiPolygon

from geo.boundaries import REGION_NAMES, read_boundaries
from geo.cell_grid import OUTSIDE, CellGrid
from geo.nearest import NearestRegion

# 1/128 degree: cells of about 870 m x 600 m at 46°N; about 1% of uniform points over
# metropolitan France fall in a cell a boundary crosses (docs/regions.md has the figures).
DEFAULT_CELL_DEG = 1.0 / 128
# Regions whose bounding boxes are closer than this share a grid (Corse with the mainland,
# Guadeloupe with Martinique).
TERRITORY_GAP_DEG = 2.0


class RegionIndex:
    """Point -> region lookups over the 18 regions; build it once (``default()``), reuse it."""

    names: ClassVar[tuple[str, ...]] = REGION_NAMES

    def __init__(
        self, geometries: Mapping[str, MultiPolygon], cell_deg: float = DEFAULT_CELL_DEG
    ) -> None:
        if tuple(geometries) != REGION_NAMES:
            raise ValueError(f"expected the 18 regions in the order of REGION_NAMES: {list(geometries)}")
        self._geometries = dict(geometries)
        coded = [(code, self._geometries[name]) for code, name in enumerate(REGION_NAMES, start=1)]
        self._grids = [CellGrid(territory, cell_deg) for territory in _territories(coded)]
        self._names_by_code = np.array([None, *REGION_NAMES], dtype=object)

    @classmethod
    def default(cls) -> RegionIndex:
        """The index of the shipped boundaries, built once per process."""
        return _default_index()

    def geometry(self, name: str) -> MultiPolygon:
        """The shipped boundary of the region ``name`` (lon/lat degrees, WGS84)."""
        return self._geometries[name]

    def lookup(self, lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
        """The region name of each point, or None outside France (NaN, out-of-range included)."""
        lat, lon = _coordinates(lat, lon)
        return self._names_by_code[self._codes(lat.ravel(), lon.ravel())].reshape(lat.shape)

    def nearest(self, lat: ArrayLike, lon: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """For each point, the nearest region and the geodesic distance to it in km.

        A point inside a region gets that region and 0.0; a point with NaN or out-of-range
        coordinates gets None and NaN.
        """
        lat, lon = _coordinates(lat, lon)
        flat_lat, flat_lon = lat.ravel(), lon.ravel()
        codes = self._codes(flat_lat, flat_lon)
        km = np.where(codes != OUTSIDE, 0.0, np.nan)
        outside = np.flatnonzero(
            (codes == OUTSIDE) & (np.abs(flat_lat) <= 90) & (np.abs(flat_lon) <= 180)
        )
        if outside.size:
            codes[outside], km[outside] = self._nearest_region.nearest(flat_lat[outside], flat_lon[outside])
        return self._names_by_code[codes].reshape(lat.shape), km.reshape(lat.shape)

    @functools.cached_property
    def _nearest_region(self) -> NearestRegion:
        """Built on the first ``nearest`` call: lookups alone never pay for it."""
        return NearestRegion(
            [(code, self._geometries[name]) for code, name in enumerate(REGION_NAMES, start=1)]
        )

    def _codes(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        first, *others = self._grids
        codes, in_grid = first.locate(lat, lon)
        rest = np.flatnonzero(~in_grid)  # usually empty: the mainland grid comes first
        for grid in others:
            if rest.size == 0:
                break
            rest_codes, rest_in_grid = grid.locate(lat[rest], lon[rest])
            codes[rest] = rest_codes
            rest = rest[~rest_in_grid]
        return codes


@functools.cache
def _default_index() -> RegionIndex:
    return RegionIndex(read_boundaries())


def _coordinates(lat: ArrayLike, lon: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    if lat.shape != lon.shape:
        raise ValueError(f"lat and lon differ in shape: {lat.shape} and {lon.shape}")
    return lat, lon


def _territories(
    regions: list[tuple[int, shapely.Geometry]],
) -> list[list[tuple[int, shapely.Geometry]]]:
    """Groups of regions close to each other, the largest bounding box first, each in order."""
    groups: list[list[tuple[int, shapely.Geometry]]] = []
    for region in regions:
        box = shapely.box(*region[1].bounds)
        near = [
            group for group in groups
            if any(box.distance(shapely.box(*r[1].bounds)) < TERRITORY_GAP_DEG for r in group)
        ]
        merged = [r for g in near for r in g] + [region]
        groups = [g for g in groups if g not in near] + [sorted(merged, key=lambda r: r[0])]
    return sorted(groups, key=lambda g: -shapely.box(*shapely.total_bounds([r[1] for r in g])).area)
