"""The shipped boundary file: the 18 regions of France as GeoJSON.

GeoJSON (RFC 7946: WGS84 longitude/latitude, exterior rings counter-clockwise) because any
GIS tool opens it and git diffs it line by line; at seven decimals (1 cm) it is under 1 MB.
One feature per line, in the order of ``REGION_NAMES``, so a rebuild from the same source
gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, shape

# The official names, in the order of docs/contract.md §4.2. The order is also the tie-break
# for a point exactly on a border shared by two regions (docs/regions.md).
REGION_NAMES: tuple[str, ...] = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
    "Guadeloupe",
    "Martinique",
    "Guyane",
    "La Réunion",
    "Mayotte",
)

BOUNDARIES_PATH = Path(__file__).resolve().parent / "data" / "regions.geojson"
COORDINATE_DECIMALS = 7


def read_boundaries(path: Path = BOUNDARIES_PATH) -> dict[str, MultiPolygon]:
    """Region name -> MultiPolygon, in the order of ``REGION_NAMES``."""
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    regions = {
        feature["properties"]["name"]: shape(feature["geometry"])
        for feature in collection["features"]
    }
    if tuple(regions) != REGION_NAMES:
        raise ValueError(f"{path} does not hold the 18 regions in order: {list(regions)}")
    return regions


def write_boundaries(
    path: Path, regions: Mapping[str, MultiPolygon], codes: Mapping[str, str]
) -> None:
    """Write ``regions`` (every name of ``REGION_NAMES``) with their INSEE region ``codes``."""
    lines = []
    for name in REGION_NAMES:
        geometry = shapely.orient_polygons(regions[name], exterior_cw=False)
        feature = {
            "type": "Feature",
            "properties": {"name": name, "code": codes[name]},
            "geometry": {"type": "MultiPolygon", "coordinates": _coordinates(geometry)},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    Path(path).write_text(text, encoding="utf-8")


def _coordinates(geometry: MultiPolygon) -> list:
    def ring(r: shapely.LinearRing) -> list:
        return np.round(np.asarray(r.coords), COORDINATE_DECIMALS).tolist()

    return [
        [ring(polygon.exterior), *(ring(hole) for hole in polygon.interiors)]
        for polygon in geometry.geoms
    ]
