"""RegionIndex.lookup on the shipped boundaries: known places, neighbours, sea, borders, bad input."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import shapely

from geo import REGION_NAMES, RegionIndex
from geo.boundaries import read_boundaries
from tests.geo.conftest import read_rows

# docs/contract.md §4.2, spelled and ordered as there.
OFFICIAL_NAMES = (
    "Auvergne-Rhône-Alpes, Bourgogne-Franche-Comté, Bretagne, Centre-Val de Loire, Corse, "
    "Grand Est, Hauts-de-France, Île-de-France, Normandie, Nouvelle-Aquitaine, Occitanie, "
    "Pays de la Loire, Provence-Alpes-Côte d'Azur, Guadeloupe, Martinique, Guyane, La Réunion, "
    "Mayotte"
).split(", ")


def lookup_one(index: RegionIndex, lat: float, lon: float) -> str | None:
    return index.lookup(np.array([lat]), np.array([lon]))[0]


def first_region_holding(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The reference answer: every closed polygon in order, the first that holds the point."""
    names = np.full(lat.size, None, dtype=object)
    for name, geometry in read_boundaries().items():
        names[(names == None) & shapely.intersects_xy(geometry, lon, lat)] = name  # noqa: E711 - elementwise on a numpy array, where `is None` is one test of the whole array
    return names


@pytest.mark.parametrize("row", read_rows("places"), ids=lambda row: row["place"])
def test_known_places_of_each_region(index: RegionIndex, row: dict[str, str]) -> None:
    assert lookup_one(index, float(row["lat"]), float(row["lon"])) == row["region"]


def test_the_places_cover_all_18_regions() -> None:
    assert {row["region"] for row in read_rows("places")} == set(OFFICIAL_NAMES)


@pytest.mark.parametrize("row", read_rows("border_towns"), ids=lambda row: row["place"])
def test_towns_on_both_sides_of_a_regional_border(index: RegionIndex, row: dict[str, str]) -> None:
    assert lookup_one(index, float(row["lat"]), float(row["lon"])) == row["region"]


@pytest.mark.parametrize("row", read_rows("outside"), ids=lambda row: row["place"])
def test_neighbouring_countries_and_other_territories_are_outside(
    index: RegionIndex, row: dict[str, str]
) -> None:
    assert lookup_one(index, float(row["lat"]), float(row["lon"])) is None


@pytest.mark.parametrize("row", read_rows("sea"), ids=lambda row: row["place"])
def test_points_at_sea_are_outside(index: RegionIndex, row: dict[str, str]) -> None:
    assert lookup_one(index, float(row["lat"]), float(row["lon"])) is None


def test_enclave_des_papes_is_in_paca_though_surrounded_by_auvergne_rhone_alpes(index: RegionIndex) -> None:
    valreas = shapely.Point(4.991, 44.384)
    assert lookup_one(index, valreas.y, valreas.x) == "Provence-Alpes-Côte d'Azur"
    holes = [shapely.Polygon(ring) for part in index.geometry("Auvergne-Rhône-Alpes").geoms for ring in part.interiors]
    assert any(hole.contains(valreas) for hole in holes)


def test_town_halls_fall_in_their_official_region(index: RegionIndex) -> None:
    rows = read_rows("town_halls")
    lat = np.array([float(r["lat"]) for r in rows])
    lon = np.array([float(r["lon"]) for r in rows])
    right = index.lookup(lat, lon) == np.array([r["region"] for r in rows], dtype=object)
    # The misses are town halls geolocated a few metres off the coast or in another
    # département altogether (errors in the source's addresses), about 1 in 800.
    assert right.mean() > 0.998


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (np.nan, 2.35), (48.85, np.nan), (np.nan, np.nan), (np.inf, 2.35), (48.85, -np.inf),
        (90.5, 2.35), (-91.0, 2.35), (48.85, 180.5), (48.85, -181.0), (1e308, -1e308),
    ],
)
def test_nan_infinite_and_out_of_range_give_none_without_warning(
    index: RegionIndex, lat: float, lon: float
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lookup_one(index, lat, lon) is None


def test_empty_input_gives_empty_output(index: RegionIndex) -> None:
    names = index.lookup(np.array([]), np.array([]))
    assert names.shape == (0,) and names.dtype == object


def test_shape_is_kept_and_plain_sequences_work(index: RegionIndex) -> None:
    names = index.lookup([[48.8566, 41.39], [43.2965, 45.764]], [[2.3522, 2.17], [5.3698, 4.8357]])
    assert names.tolist() == [["Île-de-France", None], ["Provence-Alpes-Côte d'Azur", "Auvergne-Rhône-Alpes"]]
    assert index.lookup(48.8566, 2.3522).item() == "Île-de-France"


def test_different_shapes_are_a_programming_error(index: RegionIndex) -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        index.lookup(np.zeros(3), np.zeros(2))


def test_names_are_the_18_official_names_in_order(index: RegionIndex) -> None:
    assert RegionIndex.names == index.names == REGION_NAMES == tuple(OFFICIAL_NAMES)


def test_geometry_gives_each_region_boundary(index: RegionIndex) -> None:
    for name in RegionIndex.names:
        geometry = index.geometry(name)
        assert geometry.geom_type == "MultiPolygon" and geometry.is_valid
    with pytest.raises(KeyError):
        index.geometry("Alsace")


def test_the_index_needs_the_18_regions_in_order() -> None:
    regions = read_boundaries()
    with pytest.raises(ValueError, match="18 regions"):
        RegionIndex(dict(reversed(regions.items())))


def test_default_is_built_once_per_process() -> None:
    assert RegionIndex.default() is RegionIndex.default()


def test_building_the_index_takes_well_under_a_second() -> None:
    start = time.perf_counter()
    RegionIndex(read_boundaries())
    assert time.perf_counter() - start < 1.0


def test_same_answers_as_the_polygons_everywhere_near_and_far_from_borders(index: RegionIndex) -> None:
    rng = np.random.default_rng(42)
    vertices = np.concatenate([shapely.get_coordinates(index.geometry(n)) for n in index.names])
    near_borders = np.concatenate(
        [vertices + rng.normal(0, scale, vertices.shape) for scale in (0.0, 1e-9, 1e-6, 1e-3)]
        + [(vertices[:-1] + vertices[1:]) / 2]  # on the edges (and a few chords between parts)
    )
    uniform = np.column_stack([rng.uniform(-5.2, 9.6, 200_000), rng.uniform(41.3, 51.1, 200_000)])
    points = np.concatenate([near_borders, uniform])
    lat, lon = points[:, 1], points[:, 0]
    assert np.array_equal(index.lookup(lat, lon), first_region_holding(lat, lon))


@pytest.mark.parametrize("cell_deg", [1.0, 0.25, 1 / 256])
def test_any_cell_size_gives_the_same_answers(index: RegionIndex, cell_deg: float) -> None:
    rng = np.random.default_rng(7)
    vertices = np.concatenate([shapely.get_coordinates(index.geometry(n)) for n in index.names])
    points = np.concatenate([vertices + rng.normal(0, 1e-4, vertices.shape), vertices])
    other = RegionIndex(read_boundaries(), cell_deg=cell_deg)
    assert np.array_equal(other.lookup(points[:, 1], points[:, 0]), index.lookup(points[:, 1], points[:, 0]))


def test_a_point_on_a_shared_border_goes_to_the_region_listed_first(index: RegionIndex) -> None:
    vertices = {name: set(map(tuple, shapely.get_coordinates(index.geometry(name)))) for name in index.names}
    for first, second in [("Bretagne", "Normandie"), ("Centre-Val de Loire", "Île-de-France"),
                          ("Occitanie", "Provence-Alpes-Côte d'Azur")]:
        others = set().union(*(v for name, v in vertices.items() if name not in (first, second)))
        shared = (vertices[first] & vertices[second]) - others  # not a point where three meet
        lon, lat = np.array(sorted(shared)).T
        assert len(lon) > 10
        assert set(index.lookup(lat, lon)) == {first}


def test_a_point_on_the_coastline_is_in_its_region(index: RegionIndex) -> None:
    corse = shapely.get_coordinates(index.geometry("Corse"))
    assert set(index.lookup(corse[:, 1], corse[:, 0])) == {"Corse"}
