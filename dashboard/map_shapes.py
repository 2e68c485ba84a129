"""The regions as the page draws them: simplified GeoJSON, and where on the page each one goes.

The layout is ``iot-query --map``'s: metropolitan France large on the left, each overseas
region in its own inset on the right at its own scale. Each feature names its frame; each
frame carries the affine map from longitude/latitude to the page's SVG units (the aspect of
the frame's middle latitude, as the PNG map), so the browser only multiplies and adds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, mapping

from geo.boundaries import read_boundaries
from query.france_map import METROPOLITAN, OVERSEAS, label_point

# What simplifying may move a border by, in the page's SVG units (about a pixel of the drawn
# map): about 1 km on metropolitan France, less on the small overseas regions drawn larger.
# The file drops from ~900 kB to ~100 kB.
TOLERANCE_UNITS = 0.5
LABEL_DECIMALS = 3
# The page's SVG units: the map 1000 x 760, metropolitan France in the left 72 %.
WIDTH, HEIGHT = 1000, 760
METROPOLITAN_BOX = (0.0, 0.0, 720.0, 760.0)
INSET_LEFT, INSET_WIDTH, INSET_HEIGHT, INSET_TITLE = 760.0, 230.0, 120.0, 30.0
METROPOLITAN_FRAME = "metropolitan"


def inset_box(position: int) -> tuple[float, float, float, float]:
    """The box of the ``position``-th overseas region, under its two-line title."""
    top = position * (INSET_HEIGHT + INSET_TITLE) + INSET_TITLE
    return (INSET_LEFT, top, INSET_WIDTH, INSET_HEIGHT - 8)


def frame(bounds: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> dict[str, Any]:
    """The affine map ``x = a lon + b, y = c lat + d`` that fits ``bounds`` in ``box``, centred."""
    min_lon, min_lat, max_lon, max_lat = bounds
    box_x, box_y, box_width, box_height = box
    stretch = 1 / math.cos(math.radians((min_lat + max_lat) / 2))  # a degree of latitude is longer
    width, height = max_lon - min_lon, (max_lat - min_lat) * stretch
    scale = min(box_width / width, box_height / height)
    left = box_x + (box_width - width * scale) / 2
    top = box_y + (box_height - height * scale) / 2
    return {"box": list(box), "a": scale, "b": left - min_lon * scale,
            "c": -stretch * scale, "d": top + max_lat * stretch * scale}  # fmt: skip


def simplified(geometry: MultiPolygon, fitted: Mapping[str, Any]) -> MultiPolygon:
    """``geometry`` with no detail smaller than TOLERANCE_UNITS once drawn in frame ``fitted``."""
    tolerance = TOLERANCE_UNITS / fitted["a"]  # degrees of longitude per SVG unit, times the units
    grid = 10 ** math.floor(math.log10(tolerance / 5))  # round coordinates well under the tolerance
    return shapely.set_precision(shapely.simplify(geometry, tolerance, preserve_topology=True), grid)


def regions_geojson(regions: Mapping[str, MultiPolygon] | None = None) -> bytes:
    """A FeatureCollection of the 18 regions, with the page's ``frames`` as a foreign member."""
    regions = regions if regions is not None else read_boundaries()
    metropolitan_bounds = shapely.union_all([regions[name] for name in METROPOLITAN]).bounds
    frames = {METROPOLITAN_FRAME: frame(metropolitan_bounds, METROPOLITAN_BOX)}
    frames |= {name: frame(regions[name].bounds, inset_box(position)) for position, name in enumerate(OVERSEAS)}
    features = []
    for name, geometry in regions.items():
        frame_name = name if name in OVERSEAS else METROPOLITAN_FRAME
        properties: dict[str, Any] = {"name": name, "frame": frame_name}
        if name in METROPOLITAN:
            properties["label"] = [round(value, LABEL_DECIMALS) for value in label_point(geometry)]
        drawn = simplified(geometry, frames[frame_name])
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(drawn)})
    collection = {"type": "FeatureCollection", "size": [WIDTH, HEIGHT], "frames": frames, "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
