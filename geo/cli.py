"""iot-regions: ``lat,lon`` lines on standard input -> region names on standard output.

One output line per input line, in order: the region's name, or an empty line when the point
is in no region. A bad line (not two comma-separated numbers, a non-finite number, a latitude
outside [-90, 90] or a longitude outside [-180, 180]) prints an error on standard error and
an empty line, and the command goes on; it then exits with status 1 at the end.

Input is read as it arrives and answered in batches (whatever is available, up to 64 KiB),
so the command works in a live pipe and a million lines take about a second.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import BinaryIO, TextIO

import numpy as np

from geo.region_index import RegionIndex

_READ_SIZE = 1 << 16


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="iot-regions",
        description="Read 'lat,lon' lines on standard input; print each point's region of France "
        "(an empty line when it is in none).",
    )
    parser.parse_args(argv)
    try:
        bad_lines = answer_stream(sys.stdin.buffer, sys.stdout, sys.stderr, RegionIndex.default())
    except BrokenPipeError:  # the reader went away (`iot-regions < big.csv | head`)
        # Point stdout at /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 1 if bad_lines else 0


def answer_stream(source: BinaryIO, out: TextIO, err: TextIO, index: RegionIndex) -> int:
    """Answer every line of ``source``; returns how many lines were bad."""
    bad_lines = 0
    line_number = 1
    partial = b""
    while chunk := source.read1(_READ_SIZE):
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        bad_lines += answer_lines(lines, line_number, out, err, index)
        line_number += len(lines)
    if partial:
        bad_lines += answer_lines([partial], line_number, out, err, index)
    return bad_lines


def answer_lines(
    lines: list[bytes], first_number: int, out: TextIO, err: TextIO, index: RegionIndex
) -> int:
    """Print the answers for ``lines`` (numbered from ``first_number``); returns the bad ones."""
    lats, lons = [], []
    errors = []
    for number, line in enumerate(lines, start=first_number):
        lat, lon, error = parse_line(line)
        lats.append(lat)
        lons.append(lon)
        if error:
            errors.append(f"iot-regions: line {number}: {error}: {_shown(line)}\n")
    names = index.lookup(np.array(lats), np.array(lons))
    out.write("".join(f"{name or ''}\n" for name in names))
    out.flush()
    if errors:
        err.write("".join(errors))
        err.flush()
    return len(errors)


def parse_line(line: bytes) -> tuple[float, float, str | None]:
    """(lat, lon, None) for a good line; (nan, nan, what is wrong) for a bad one."""
    fields = line.split(b",")
    if len(fields) != 2:
        return math.nan, math.nan, "expected 'lat,lon'"
    try:
        lat, lon = float(fields[0]), float(fields[1])
    except ValueError:
        return math.nan, math.nan, "expected two numbers 'lat,lon'"
    if not (-90.0 <= lat <= 90.0):  # False for NaN too
        return math.nan, math.nan, "latitude not a number in [-90, 90]"
    if not (-180.0 <= lon <= 180.0):
        return math.nan, math.nan, "longitude not a number in [-180, 180]"
    return lat, lon, None


def _shown(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").rstrip("\r")
    return repr(text if len(text) <= 80 else text[:77] + "...")
