"""A grid over one territory whose cells answer almost every point lookup without a polygon test.

Each cell is labelled with the region that contains all of it, with OUTSIDE when no region
does, or with MIXED when a region boundary passes through it or within ``EDGE_MARGIN`` of it.
A lookup reads the label of the point's cell; only points in MIXED cells (about 1% of
uniform points over metropolitan France) go through the exact test against the polygons,
and only against the regions that can hold points of that cell (usually one or two).
The labels are computed with numpy from the polygons when the grid is built (tens of
milliseconds), so the shipped polygons stay the one source of truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

OUTSIDE = 0
MIXED = 255
# In cells. A cell this close to a boundary is MIXED, so the rounding of a point's cell index
# (about 1e-12 cell) can never put a point in a cell whose label is not true for that point.
EDGE_MARGIN = 1e-6


class CellGrid:
    """Region codes for points, over the bounding box of some regions (one territory).

    ``regions`` are (code, polygonal geometry) pairs, codes in 1..254; their order is the
    priority for a point on a border shared by two of them (the first one wins).
    """

    def __init__(self, regions: Sequence[tuple[int, shapely.Geometry]], cell_deg: float) -> None:
        if len(regions) > 32:
            raise ValueError("a grid holds at most 32 regions (one bit each per cell)")
        self._regions = list(regions)
        for _, geometry in self._regions:
            shapely.prepare(geometry)
        minx, miny, maxx, maxy = shapely.total_bounds([g for _, g in self._regions])
        self._inverse_cell = 1.0 / cell_deg
        # One free cell on every side, so no polygon touches the edge of the grid.
        self._x0 = (np.floor(minx / cell_deg) - 1) * cell_deg
        self._y0 = (np.floor(miny / cell_deg) - 1) * cell_deg
        self._nx = int(np.ceil((maxx - self._x0) * self._inverse_cell)) + 1
        self._ny = int(np.ceil((maxy - self._y0) * self._inverse_cell)) + 1
        # The extra last cell is where every point outside the grid is sent.
        self._labels = np.full(self._nx * self._ny + 1, OUTSIDE, dtype=np.uint8)
        # Bit i set: region i may hold points of the cell (its boundary touches the cell, or
        # the cell's centre is inside it: then the region holds all of a cell it does not cross).
        candidates = np.zeros(self._nx * self._ny, dtype=np.uint32)
        mixed = np.zeros(self._nx * self._ny, dtype=bool)
        for bit, (code, geometry) in enumerate(self._regions):
            edges = self._edges(geometry)
            row0, col0, inside = interior_cells(*edges)
            rows, cols = slice(row0, row0 + inside.shape[0]), slice(col0, col0 + inside.shape[1])
            self._labels[:-1].reshape(self._ny, self._nx)[rows, cols][inside] = code
            candidates.reshape(self._ny, self._nx)[rows, cols][inside] |= np.uint32(1 << bit)
            touched = boundary_cells(*edges, self._nx)
            candidates[touched] |= np.uint32(1 << bit)
            mixed[touched] = True
        self._labels[:-1][mixed] = MIXED
        self._mixed_cells = np.flatnonzero(mixed)  # sorted, for searchsorted
        self._mixed_candidates = candidates[self._mixed_cells]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the grid."""
        cell = 1.0 / self._inverse_cell
        return (self._x0, self._y0, self._x0 + self._nx * cell, self._y0 + self._ny * cell)

    @property
    def mixed_share(self) -> float:
        """The share of the grid's cells that need the exact test."""
        return float(np.count_nonzero(self._labels == MIXED)) / (self._labels.size - 1)

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The region code of each point (OUTSIDE for none), and whether it is in the grid."""
        with np.errstate(over="ignore", invalid="ignore"):  # huge values and NaN: masked below
            u = (lon - self._x0) * self._inverse_cell
            v = (lat - self._y0) * self._inverse_cell
            in_grid = (u >= 0) & (u < self._nx) & (v >= 0) & (v < self._ny)  # False for NaN
            cell = v.astype(np.intp) * self._nx + u.astype(np.intp)
        cell = np.where(in_grid, cell, self._labels.size - 1)
        codes = self._labels[cell]
        mixed = np.flatnonzero(codes == MIXED)
        if mixed.size:
            candidates = self._mixed_candidates[np.searchsorted(self._mixed_cells, cell[mixed])]
            codes[mixed] = self._exact_codes(lat[mixed], lon[mixed], candidates)
        return codes, in_grid

    def _exact_codes(self, lat: np.ndarray, lon: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The polygon test: the first candidate region whose closed polygon holds the point."""
        codes = np.full(lat.size, OUTSIDE, dtype=np.uint8)
        unresolved = np.ones(lat.size, dtype=bool)
        for bit, (code, geometry) in enumerate(self._regions):
            tested = np.flatnonzero(unresolved & (candidates & np.uint32(1 << bit) != 0))
            if tested.size:
                hits = tested[shapely.intersects_xy(geometry, lon[tested], lat[tested])]
                codes[hits] = code
                unresolved[hits] = False
        return codes

    def _edges(self, geometry: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every ring segment of ``geometry`` as (u1, v1, u2, v2), in cell units."""
        rings = shapely.get_rings(shapely.get_parts(geometry))
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        u = (xy[:, 0] - self._x0) * self._inverse_cell
        v = (xy[:, 1] - self._y0) * self._inverse_cell
        same_ring = ring[1:] == ring[:-1]
        return u[:-1][same_ring], v[:-1][same_ring], u[1:][same_ring], v[1:][same_ring]


def interior_cells(
    u1: np.ndarray, v1: np.ndarray, u2: np.ndarray, v2: np.ndarray
) -> tuple[int, int, np.ndarray]:
    """The cells whose centre is inside the rings made of these edges (even-odd rule).

    A scanline fill: each edge toggles, on every row whose centre line it crosses, the cells
    from the crossing to the right; a running parity along the row marks the inside. Returns
    the first row, the first column and the boolean block of the rings' bounding box. Only
    the cells that no boundary touches use this answer, and their centres are half a cell or
    more from any edge, so rounding cannot flip it.
    """
    low, high = np.minimum(v1, v2), np.maximum(v1, v2)
    first_row = np.ceil(low - 0.5).astype(np.intp)  # rows whose centre j + 0.5 is in [low, high)
    rows_crossed = np.ceil(high - 0.5).astype(np.intp) - first_row
    edge = np.repeat(np.arange(u1.size), rows_crossed)
    row = first_row[edge] + _ranks(rows_crossed)
    u = u1[edge] + (row + 0.5 - v1[edge]) * (u2[edge] - u1[edge]) / (v2[edge] - v1[edge])
    column = np.ceil(u - 0.5).astype(np.intp)  # the first cell whose centre is right of it
    if row.size == 0:  # smaller than a cell: no centre inside
        return 0, 0, np.zeros((0, 0), dtype=bool)
    row0, col0 = int(row.min()), int(column.min())
    height, width = int(row.max()) - row0 + 1, int(column.max()) - col0 + 1
    toggles = np.bincount((row - row0) * width + (column - col0), minlength=height * width)
    parity = np.cumsum(toggles.reshape(height, width), axis=1) & 1
    return row0, col0, parity[:, :-1].astype(bool)


def boundary_cells(
    u1: np.ndarray, v1: np.ndarray, u2: np.ndarray, v2: np.ndarray, nx: int
) -> np.ndarray:
    """Flat indices of the cells that an edge touches, each cell widened by ``EDGE_MARGIN``.

    For each edge, every cell of its bounding box is tested: the segment meets the (widened)
    cell when the cell's four corners are not all strictly on one side of the segment's line.
    """
    m = EDGE_MARGIN
    col_lo = np.floor(np.minimum(u1, u2) - m).astype(np.intp)
    row_lo = np.floor(np.minimum(v1, v2) - m).astype(np.intp)
    n_cols = np.floor(np.maximum(u1, u2) + m).astype(np.intp) - col_lo + 1
    n_rows = np.floor(np.maximum(v1, v2) + m).astype(np.intp) - row_lo + 1
    per_edge = n_cols * n_rows
    edge = np.repeat(np.arange(u1.size), per_edge)
    rank = _ranks(per_edge)
    col = col_lo[edge] + rank % n_cols[edge]
    row = row_lo[edge] + rank // n_cols[edge]
    du, dv = u2[edge] - u1[edge], v2[edge] - v1[edge]
    left, right = col - m - u1[edge], col + 1 + m - u1[edge]
    bottom, top = row - m - v1[edge], row + 1 + m - v1[edge]
    sides = [du * y - dv * x for x in (left, right) for y in (bottom, top)]
    touches = (np.minimum.reduce(sides) <= 0) & (np.maximum.reduce(sides) >= 0)
    return row[touches] * nx + col[touches]


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for each n of ``counts``, concatenated."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)
