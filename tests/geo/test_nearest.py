"""RegionIndex.nearest: the nearest region and the geodesic distance to it, for points outside."""

from __future__ import annotations

import time

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geo import RegionIndex
from geo.nearest import NearestRegion, _ecef, _longest_chord
from tests.geo.conftest import read_rows

GEOD = pyproj.Geod(ellps="WGS84")


def brute_force(index: RegionIndex, lat: float, lon: float) -> tuple[str, float]:
    """Geodesic distance (km) to every vertex of boundaries split every ~50 m: slow, obvious.

    It overestimates by up to ~25 m, as the nearest point may lie between two of its points.
    """
    best: tuple[str, float] = ("", np.inf)
    for name in index.names:
        xy = shapely.get_coordinates(shapely.segmentize(index.geometry(name).boundary, 0.0005))
        _, _, metres = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
        if metres.min() / 1000 < best[1]:
            best = (name, metres.min() / 1000)
    return best


@pytest.mark.parametrize(
    ("place", "lat", "lon", "region", "km"),
    [
        ("Barcelona", 41.3874, 2.1686, "Occitanie", 107.3),
        ("Monaco", 43.7384, 7.4246, "Provence-Alpes-Côte d'Azur", 0.36),
        ("Saint Helier, Jersey", 49.1860, -2.1100, "Normandie", 30.2),
        ("Llívia, inside Occitanie", 42.4660, 1.9800, "Occitanie", 0.72),
        ("Saint-Martin", 18.0700, -63.0500, "Guadeloupe", 231.4),
        ("a boat 1 km off Brest", 48.36, -4.80, "Bretagne", 0.96),
    ],
)
def test_nearest_region_and_distance_match_a_brute_force_search(
    index: RegionIndex, place: str, lat: float, lon: float, region: str, km: float
) -> None:
    names, distances = index.nearest(np.array([lat]), np.array([lon]))
    expected_region, expected_km = brute_force(index, lat, lon)
    assert names[0] == region == expected_region
    assert distances[0] == pytest.approx(km, rel=0.005, abs=0.01)
    assert expected_km - 0.025 <= distances[0] <= expected_km + 1e-9


def test_far_away_points_get_a_region_and_a_distance(index: RegionIndex) -> None:
    names, km = index.nearest(np.array([35.68, -41.29, -90.0, 90.0]), np.array([139.69, 174.78, 0.0, 0.0]))
    for name, distance, lat, lon in zip(names, km, [35.68, -41.29, -90.0, 90.0], [139.69, 174.78, 0.0, 0.0], strict=True):
        expected_name, expected_km = brute_force(index, lat, lon)
        assert name == expected_name and expected_km - 0.025 <= distance <= expected_km + 1e-9


def test_every_outside_place_is_given_a_nearest_region(index: RegionIndex) -> None:
    rows = read_rows("outside") + read_rows("sea")
    names, km = index.nearest([float(r["lat"]) for r in rows], [float(r["lon"]) for r in rows])
    assert all(name in RegionIndex.names for name in names)
    assert np.all((km > 0) & (km < 4000))


def test_points_inside_get_their_region_at_zero_km_and_bad_points_none(index: RegionIndex) -> None:
    names, km = index.nearest(np.array([48.8566, np.nan, 95.0, 48.0]), np.array([2.3522, 2.0, 2.0, np.inf]))
    assert names.tolist() == ["Île-de-France", None, None, None]
    assert km[0] == 0.0 and np.isnan(km[1:]).all()


def test_empty_input_and_shapes(index: RegionIndex) -> None:
    names, km = index.nearest(np.array([]), np.array([]))
    assert names.shape == km.shape == (0,)
    names, km = index.nearest([[41.3874], [48.8566]], [[2.1686], [2.3522]])
    assert names.shape == km.shape == (2, 1)


def test_a_batch_of_1000_outside_points_takes_well_under_a_second(index: RegionIndex) -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(35, 56, 3000), rng.uniform(-12, 20, 3000)
    outside = index.lookup(lat, lon) == None  # noqa: E711 - elementwise on a numpy array, where `is None` is one test of the whole array
    lat, lon = lat[outside][:1000], lon[outside][:1000]
    index.nearest(lat[:1], lon[:1])  # builds the edge index once
    start = time.perf_counter()
    index.nearest(lat, lon)
    assert time.perf_counter() - start < 1.0


def test_a_tie_between_two_regions_goes_to_the_first() -> None:
    west, east = MultiPolygon([box(0, 0, 1, 1)]), MultiPolygon([box(1, 0, 2, 1)])
    # Straight above their shared corner (1, 1): as near to both.
    lat, lon = np.array([1.5]), np.array([1.0])
    assert NearestRegion([(1, west), (2, east)]).nearest(lat, lon)[0].tolist() == [1]
    assert NearestRegion([(2, east), (1, west)]).nearest(lat, lon)[0].tolist() == [2]


def test_a_chord_never_exceeds_the_bound_used_to_filter_edges() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    lat1, lat2 = (np.degrees(np.arcsin(rng.uniform(-1, 1, n))) for _ in range(2))
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    lat2[: n // 2] = np.clip(lat1[: n // 2] + rng.normal(0, 1, n // 2), -90, 90)  # near pairs too
    lon2[: n // 2] = lon1[: n // 2] + rng.normal(0, 1, n // 2)
    _, _, geodesic = GEOD.inv(lon1, lat1, lon2, lat2)
    chord = np.linalg.norm(_ecef(lat1, lon1) - _ecef(lat2, lon2), axis=1)
    assert np.all(chord <= _longest_chord(geodesic) * (1 + 1e-9) + 1e-3)
