"""The hour as a map: each region filled by its mean temperature, metropolitan France with the overseas regions alongside.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display), from the same
boundaries that place the readings (``geo``), in longitude/latitude with the aspect of the
map's middle latitude, so shapes look right without a projection library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as DrawingPath
from shapely.geometry import MultiPolygon
from shapely.ops import polylabel

from geo import REGION_NAMES, RegionIndex
from results.hours import hour_text
from results.rows import ResultRow

OVERSEAS = ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte")
METROPOLITAN = tuple(name for name in REGION_NAMES if name not in OVERSEAS)
COLOUR_MAP = colormaps["RdYlBu_r"]  # blue cold, red warm; readable by most colour-blind readers
NO_DATA = "#d4d4d4"
EDGE = "#4d4d4d"
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def colour_scale(means: Sequence[float]) -> Normalize | None:
    """From the coldest to the warmest mean of the hour; at least one degree wide; None without data."""
    if not means:
        return None
    low, high = min(means), max(means)
    middle, half = (low + high) / 2, max(high - low, 1.0) / 2
    return Normalize(middle - half, middle + half)


def outline(geometry: MultiPolygon) -> DrawingPath:
    """One path for all the polygons of a region, holes included (GeoJSON winding, non-zero fill)."""
    rings = [ring for polygon in geometry.geoms for ring in (polygon.exterior, *polygon.interiors)]
    return DrawingPath.make_compound_path(*(DrawingPath(np.asarray(ring.coords)) for ring in rings))


def label_point(geometry: MultiPolygon) -> tuple[float, float]:
    """Deep inside the largest polygon: the centroid may fall outside a concave region."""
    largest = max(geometry.geoms, key=lambda polygon: polygon.area)
    point = polylabel(largest, tolerance=0.01)
    return point.x, point.y


def mean_text(mean: float | None) -> str:
    return "no data" if mean is None else f"{mean:.1f} °C"


def fill(name: str, means: Mapping[str, float], scale: Normalize | None) -> str | tuple:
    return NO_DATA if name not in means or scale is None else COLOUR_MAP(scale(means[name]))


def draw_regions(axes: Axes, names: Sequence[str], regions: RegionIndex, means: Mapping[str, float],
                 scale: Normalize | None, labelled: bool) -> None:
    """Fill ``names`` on ``axes``, framed to their extent with the right aspect; label them if asked."""
    for name in names:
        geometry = regions.geometry(name)
        axes.add_patch(PathPatch(outline(geometry), facecolor=fill(name, means, scale), edgecolor=EDGE, linewidth=0.6))
        if labelled:
            x, y = label_point(geometry)
            axes.text(x, y, f"{name}\n{mean_text(means.get(name))}", ha="center", va="center",
                      fontsize=8, linespacing=1.2, path_effects=HALO)  # fmt: skip
    min_lon, min_lat, max_lon, max_lat = np.array([regions.geometry(n).bounds for n in names]).T
    margin = 0.15
    axes.set_xlim(min_lon.min() - margin, max_lon.max() + margin)
    axes.set_ylim(min_lat.min() - margin, max_lat.max() + margin)
    axes.set_aspect(1 / math.cos(math.radians((min_lat.min() + max_lat.max()) / 2)))
    axes.set_axis_off()


def draw_hour_map(hour: datetime, rows: Sequence[ResultRow], path: Path, regions: RegionIndex | None = None) -> None:
    """Write the PNG of ``hour``'s means to ``path``; regions without a row are grey."""
    regions = regions or RegionIndex.default()
    means = {row.region: row.mean_temperature for row in rows}
    scale = colour_scale(list(means.values()))
    figure = Figure(figsize=(13, 10), dpi=110, layout=None)
    readings = sum(row.readings for row in rows)
    end = f"{(hour.hour + 1) % 24:02d}:00"  # not hour + 1 h: that overflows for the last hour of year 9999
    figure.suptitle(f"Mean temperature by region, {hour_text(hour)}–{end} UTC", fontsize=16, y=0.97)
    figure.text(0.5, 0.925, f"{readings} readings in {len(means)} of {len(REGION_NAMES)} regions; grey: no data",
                ha="center", fontsize=11, color="#333333")  # fmt: skip
    draw_regions(figure.add_axes((0.02, 0.1, 0.72, 0.8)), METROPOLITAN, regions, means, scale, labelled=True)
    for position, name in enumerate(OVERSEAS):
        inset = figure.add_axes((0.78, 0.74 - position * 0.16, 0.19, 0.13))
        draw_regions(inset, (name,), regions, means, scale, labelled=False)
        inset.set_title(f"{name}\n{mean_text(means.get(name))}", fontsize=9, linespacing=1.2)
    figure.text(0.875, 0.08, "overseas regions, each at its own scale", ha="center", fontsize=8, color="#555555")
    if scale is not None:
        bar = figure.colorbar(ScalarMappable(scale, COLOUR_MAP), cax=figure.add_axes((0.15, 0.06, 0.5, 0.02)),
                              orientation="horizontal")  # fmt: skip
        bar.set_label("mean temperature of the hour (°C)")
    write_png(figure, path)


def write_png(figure: Figure, path: Path) -> None:
    """Write ``figure`` as a PNG to exactly ``path``, whole or not at all.

    The format is given, so matplotlib adds no extension of its own; the image goes to a
    temporary file beside ``path`` first, so a full disk leaves no truncated map behind.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        figure.savefig(partial, format="png")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
