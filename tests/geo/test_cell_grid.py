"""CellGrid on small made-up regions, where every answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geo.cell_grid import OUTSIDE, CellGrid, boundary_cells, interior_cells

WEST = MultiPolygon([box(0, 0, 1, 1)])
EAST = MultiPolygon([box(1, 0, 2, 1)])  # shares the edge x = 1 with WEST
RING = MultiPolygon([box(3, 0, 6, 3).difference(box(4, 1, 5, 2))])
ENCLAVE = MultiPolygon([box(4, 1, 5, 2)])  # fills RING's hole
DIAMOND = MultiPolygon([shapely.Polygon([(8, 1.5), (9.5, 0), (11, 1.5), (9.5, 3)])])
REGIONS = [(1, WEST), (2, EAST), (3, RING), (4, ENCLAVE), (5, DIAMOND)]


def codes(grid: CellGrid, points: list[tuple[float, float]]) -> list[int]:
    """Codes for (x, y) points."""
    xy = np.array(points, dtype=float)
    return grid.locate(xy[:, 1], xy[:, 0])[0].tolist()


def reference(points: np.ndarray) -> np.ndarray:
    result = np.zeros(len(points), dtype=np.uint8)
    for code, geometry in reversed(REGIONS):  # so the first one wins
        result[shapely.intersects_xy(geometry, points[:, 0], points[:, 1])] = code
    return result


@pytest.mark.parametrize("cell_deg", [0.5, 0.3, 1.0, 0.07])
def test_points_inside_outside_and_on_edges(cell_deg: float) -> None:
    grid = CellGrid(REGIONS, cell_deg)
    assert codes(grid, [(0.5, 0.5), (1.5, 0.5), (3.5, 2.5), (4.5, 1.5), (9.5, 1.5), (7, 1), (2.5, 0.5)]) == [
        1, 2, 3, 4, 5, OUTSIDE, OUTSIDE
    ]
    # Closed regions: the outer boundary belongs to the region; a shared edge to the first.
    assert codes(grid, [(0, 0.5), (1, 0.5), (1, 1), (4, 1.5), (9.5, 3)]) == [1, 1, 1, 3, 5]


@pytest.mark.parametrize("cell_deg", [0.5, 1 / 3, 0.25, 0.013])
def test_same_answers_as_shapely_on_grid_lines_corners_and_random_points(cell_deg: float) -> None:
    grid = CellGrid(REGIONS, cell_deg)
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = grid.bounds
    lattice = np.stack(np.meshgrid(np.arange(-1, 12, 0.25), np.arange(-1, 4, 0.25)), axis=-1).reshape(-1, 2)
    random = np.column_stack([rng.uniform(x0 - 1, x1 + 1, 50_000), rng.uniform(y0 - 1, y1 + 1, 50_000)])
    vertices = shapely.get_coordinates([g for _, g in REGIONS])
    jittered = vertices + rng.normal(0, 1e-12, vertices.shape)
    points = np.concatenate([lattice, random, vertices, jittered])
    assert np.array_equal(grid.locate(points[:, 1], points[:, 0])[0], reference(points))


def test_the_order_of_the_regions_decides_a_shared_edge() -> None:
    grid = CellGrid([(2, EAST), (1, WEST)], 0.5)
    assert codes(grid, [(1, 0.5), (0.5, 0.5)]) == [2, 1]


def test_points_off_the_grid_or_not_numbers() -> None:
    grid = CellGrid(REGIONS, 0.5)
    lat = np.array([0.5, np.nan, 0.5, np.inf, 100.0])
    lon = np.array([0.5, 0.5, np.nan, 0.5, 0.5])
    found, in_grid = grid.locate(lat, lon)
    assert found.tolist() == [1, OUTSIDE, OUTSIDE, OUTSIDE, OUTSIDE]
    assert in_grid.tolist() == [True, False, False, False, False]


def test_bounds_leave_a_free_cell_around_the_regions() -> None:
    grid = CellGrid(REGIONS, 0.5)
    assert grid.bounds == (-0.5, -0.5, 11.5, 3.5)
    assert 0 < grid.mixed_share < 1


def test_at_most_32_regions_per_grid() -> None:
    with pytest.raises(ValueError, match="32"):
        CellGrid([(i, WEST) for i in range(1, 34)], 1.0)


def test_interior_cells_of_a_square_are_those_whose_centre_is_inside() -> None:
    # The square (1, 1)-(3, 4) in cell units: centres (1.5..2.5, 1.5..3.5) are inside.
    u1, v1 = np.array([1.0, 3.0, 3.0, 1.0]), np.array([1.0, 1.0, 4.0, 4.0])
    u2, v2 = np.roll(u1, -1), np.roll(v1, -1)
    row0, col0, inside = interior_cells(u1, v1, u2, v2)
    assert (row0, col0) == (1, 1)
    assert inside.tolist() == [[True, True]] * 3


def test_boundary_cells_of_a_diagonal_edge() -> None:
    # From (0.5, 0.5) to (2.5, 1.5), in cell units: it leaves cell (col 0, row 0) at u = 1,
    # goes up into row 1 at u = 1.5 and into col 2 at u = 2: cells 0, 1, 11 and 12 (nx = 10).
    cells = boundary_cells(np.array([0.5]), np.array([0.5]), np.array([2.5]), np.array([1.5]), nx=10)
    assert sorted(cells.tolist()) == [0, 1, 11, 12]


def test_an_edge_on_a_cell_border_marks_the_cells_on_both_sides() -> None:
    cells = boundary_cells(np.array([2.0]), np.array([0.25]), np.array([2.0]), np.array([0.75]), nx=10)
    assert sorted(cells.tolist()) == [1, 2]


def test_only_the_cells_a_boundary_touches_are_mixed() -> None:
    # A unit square on a 0.25 grid: 6 x 6 cells; its edges run along grid lines, so the cells
    # on both sides are mixed, and only the 2 x 2 cells in the middle are plainly inside.
    grid = CellGrid([(1, WEST)], 0.25)
    assert grid.mixed_share == pytest.approx(32 / 36)
