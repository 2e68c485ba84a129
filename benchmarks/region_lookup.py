#!/usr/bin/env python
"""Region lookup benchmark: our grid index vs a naive shapely lookup vs the original rectangles.

    .venv/bin/python -m benchmarks.region_lookup            # 1 million points, seed 0

For N uniform points over metropolitan France's bounding box (sea and neighbours included),
in one process on one core: points per second of each method (best of --repeat runs), the
time of one 10,000-point call (the Flink UDF's batch size), and the share of right answers
on two labelled samples: the town halls of 1 in 7 communes with their official region
(tests/geo/data/town_halls.csv) and the N points labelled by the exact polygon test.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, whatever numpy links to
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from benchmarks import records
from geo import RegionIndex

TOWN_HALLS = Path(__file__).resolve().parent.parent / "tests" / "geo" / "data" / "town_halls.csv"
METROPOLITAN_BOX = {"lat": (41.3, 51.1), "lon": (-5.2, 9.6)}
Lookup = Callable[[np.ndarray, np.ndarray], np.ndarray]
KEYS = {"grid index (ours)": "grid_index", "naive: prepared shapely contains_xy": "naive",
        "original: bounding rectangles": "rectangles"}


def naive_lookup(index: RegionIndex) -> Lookup:
    """Every point against every prepared region with ``contains_xy``; the first match wins."""
    geometries = [index.geometry(name) for name in index.names]
    for geometry in geometries:
        shapely.prepare(geometry)
    names = np.array([None, *index.names], dtype=object)

    def lookup(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        codes = np.zeros(lat.size, dtype=np.uint8)
        for code, geometry in enumerate(geometries, start=1):
            codes[(codes == 0) & shapely.contains_xy(geometry, lon, lat)] = code
        return names[codes]

    return lookup


def rectangle_lookup(index: RegionIndex) -> Lookup:
    """The original method: each region's bounding rectangle, the first that holds the point."""
    boxes = [index.geometry(name).bounds for name in index.names]
    names = np.array([None, *index.names], dtype=object)

    def lookup(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        codes = np.zeros(lat.size, dtype=np.uint8)
        for code, (minx, miny, maxx, maxy) in enumerate(boxes, start=1):
            codes[(codes == 0) & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)] = code
        return names[codes]

    return lookup


def best_time(lookup: Lookup, lat: np.ndarray, lon: np.ndarray, repeat: int) -> tuple[float, np.ndarray]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        names = lookup(lat, lon)
        best = min(best, time.perf_counter() - start)
    return best, names


def batch_time(lookup: Lookup, lat: np.ndarray, lon: np.ndarray, batch: int) -> float:
    """Mean seconds per call over consecutive batches of the points."""
    calls = lat.size // batch
    start = time.perf_counter()
    for i in range(calls):
        lookup(lat[i * batch:(i + 1) * batch], lon[i * batch:(i + 1) * batch])
    return (time.perf_counter() - start) / calls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per method, the best is kept")
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    index = RegionIndex.default()
    load_seconds = time.perf_counter() - start
    rng = np.random.default_rng(args.seed)
    lat = rng.uniform(*METROPOLITAN_BOX["lat"], args.points)
    lon = rng.uniform(*METROPOLITAN_BOX["lon"], args.points)
    town_halls = pd.read_csv(TOWN_HALLS)
    hall_lat, hall_lon = town_halls["lat"].to_numpy(), town_halls["lon"].to_numpy()

    methods = {
        "grid index (ours)": index.lookup,
        "naive: prepared shapely contains_xy": naive_lookup(index),
        "original: bounding rectangles": rectangle_lookup(index),
    }
    results: dict[str, dict[str, Any]] = {}
    for label, lookup in methods.items():
        seconds, names = best_time(lookup, lat, lon, args.repeat)
        results[label] = {
            "seconds": seconds,
            "names": names,
            "batch": batch_time(lookup, lat, lon, args.batch),
            "halls": float(np.mean(lookup(hall_lat, hall_lon) == town_halls["region"].to_numpy())),
        }
    exact = results["naive: prepared shapely contains_xy"]["names"]
    ours = results["grid index (ours)"]

    box = f"lat {METROPOLITAN_BOX['lat']}, lon {METROPOLITAN_BOX['lon']}"
    print(f"{args.points:,} uniform points over {box}, seed {args.seed}; best of {args.repeat} runs; one core")
    print(f"RegionIndex.default() load: {load_seconds * 1000:.0f} ms; boundary cells: "
          f"{index._grids[0].mixed_share:.2%} of the mainland grid's cells")
    print()
    print(f"| method | points/s | {args.batch:,}-point call | right on {len(town_halls):,} town halls "
          f"| same answer as the polygons on the {args.points:,} points |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, r in results.items():
        print(f"| {label} | {args.points / r['seconds'] / 1e6:.1f} M | {r['batch'] * 1000:.2f} ms "
              f"| {r['halls']:.2%} | {np.mean(r['names'] == exact):.2%} |")
    print()
    naive = results["naive: prepared shapely contains_xy"]
    print(f"grid index vs naive: {naive['seconds'] / ours['seconds']:.1f}x faster, "
          f"identical answers: {bool(np.array_equal(ours['names'], exact))}")

    outside = np.flatnonzero(ours["names"] == None)[:1000]  # noqa: E711 - elementwise on a numpy array, where `is None` is one test of the whole array
    start = time.perf_counter()
    index.nearest(lat[outside], lon[outside])
    nearest_ms = (time.perf_counter() - start) * 1000
    print(f"nearest region for {outside.size} outside points (first call, building included): {nearest_ms:.0f} ms")
    figures: dict[str, Any] = {
        KEYS[label]: {
            "million_points_per_s": args.points / r["seconds"] / 1e6,
            "batch_ms": r["batch"] * 1000,
            "batch_million_points_per_s": args.batch / r["batch"] / 1e6,
            "town_halls_right_percent": r["halls"] * 100,
            "same_as_polygons_percent": float(np.mean(r["names"] == exact)) * 100,
        }
        for label, r in results.items()
    }
    records.write("region_lookup", {
        **figures, "points": args.points, "batch": args.batch, "town_halls": len(town_halls),
        "grid_vs_naive_times_faster": naive["seconds"] / ours["seconds"],
        "identical_to_polygons": int(np.array_equal(ours["names"], exact)),
        "load_ms": load_seconds * 1000, "mixed_cells_percent": index._grids[0].mixed_share * 100,
        "nearest_outside_points": int(outside.size), "nearest_ms": nearest_ms,
    })


if __name__ == "__main__":
    main()
