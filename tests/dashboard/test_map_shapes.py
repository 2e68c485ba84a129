"""The regions as the page draws them: light, each fitted to its frame, the insets apart."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from shapely.geometry import shape

from dashboard.map_shapes import HEIGHT, METROPOLITAN_FRAME, WIDTH, frame, regions_geojson
from geo.boundaries import read_boundaries


@pytest.fixture(scope="module")
def collection() -> dict:
    return json.loads(regions_geojson())


def corners(bounds: tuple[float, ...], fitted: dict) -> list[tuple[float, float]]:
    min_lon, min_lat, max_lon, max_lat = bounds
    return [(fitted["a"] * lon + fitted["b"], fitted["c"] * lat + fitted["d"])
            for lon in (min_lon, max_lon) for lat in (min_lat, max_lat)]  # fmt: skip


def test_a_frame_fits_the_bounds_in_its_box_centred_with_the_latitude_aspect() -> None:
    fitted = frame((-5.0, 42.0, 8.0, 51.0), (0.0, 0.0, 720.0, 760.0))
    points = corners((-5.0, 42.0, 8.0, 51.0), fitted)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert min(xs) >= -1e-9 and max(xs) <= 720 + 1e-9 and min(ys) >= -1e-9 and max(ys) <= 760 + 1e-9
    assert math.isclose(min(xs) + max(xs), 720) or math.isclose(min(ys) + max(ys), 760)  # centred
    assert fitted["c"] < 0  # north up
    assert math.isclose(-fitted["c"] / fitted["a"], 1 / math.cos(math.radians(46.5)))


def test_every_region_lies_inside_its_frame_and_the_frames_do_not_overlap(collection: dict) -> None:
    boxes = {name: shapely.box(x, y, x + w, y + h) for name, fitted in collection["frames"].items()
             for x, y, w, h in [fitted["box"]]}  # fmt: skip
    assert shapely.box(0, 0, WIDTH, HEIGHT).contains(shapely.union_all(list(boxes.values())))
    names = list(boxes)
    assert all(not boxes[a].overlaps(boxes[b]) for a in names for b in names if a != b)
    for feature in collection["features"]:
        fitted = collection["frames"][feature["properties"]["frame"]]
        inside = boxes[feature["properties"]["frame"]].buffer(1)
        assert all(inside.contains(shapely.Point(point)) for point in corners(shape(feature["geometry"]).bounds, fitted))


def test_the_overseas_regions_each_have_an_inset_and_the_others_a_label(collection: dict) -> None:
    frames = {feature["properties"]["name"]: feature["properties"]["frame"] for feature in collection["features"]}
    overseas = {"Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}
    assert {name for name, used in frames.items() if used != METROPOLITAN_FRAME} == overseas
    for feature in collection["features"]:
        if feature["properties"]["name"] not in overseas:
            label = shapely.Point(feature["properties"]["label"])
            assert shape(feature["geometry"]).buffer(0.05).contains(label)


def test_simplified_shapes_keep_the_regions_areas(collection: dict) -> None:
    official = read_boundaries()
    for feature in collection["features"]:
        drawn = shape(feature["geometry"])
        assert drawn.is_valid
        original = official[feature["properties"]["name"]]
        assert drawn.symmetric_difference(original).area < 0.03 * original.area
