"""Erase one sensor's messages from the archive: the data-protection request of docs/data-protection.md.

A reading names no sensor (its ``id`` names the reading), but a sensor stays where it is
installed, so its messages are those whose ``lat`` and ``lon`` are its coordinates. Parquet files
cannot lose a row in place: each committed file holding one is rewritten without it, under a
hidden name first (readers skip names starting with a dot, as they skip the job's uncommitted
files), then renamed over the old one. The job never reopens a committed file, so this can run
while it writes newer ones.

    .venv/bin/python -m archive.erasure --lat 48.8566 --lon 2.3522 [--archive var/archive] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from archive.reads import ARCHIVE_SCHEMA


@dataclass(frozen=True)
class Erasure:
    """What a pass over the archive found: messages erased, files rewritten, and the messages kept
    because their payload is not a JSON object with numeric coordinates (they cannot be matched)."""

    erased: int
    files: int
    unreadable: int


def coordinates_of(payload: bytes) -> tuple[float, float] | None:
    """``(lat, lon)`` of a message, or None when it has none that can be compared."""
    try:
        reading = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(reading, dict):
        return None
    lat, lon = reading.get("lat"), reading.get("lon")
    numbers = (int, float)
    if not (isinstance(lat, numbers) and isinstance(lon, numbers)) or isinstance(lat, bool) or isinstance(lon, bool):
        return None
    return float(lat), float(lon)


def committed_files(archive: Path) -> list[Path]:
    """The job's committed part files (``event_hour=…/part-…``), not the hidden in-progress ones."""
    return sorted(archive.glob("event_hour=*/part-*"))


def erase_sensor(archive: Path, lat: float, lon: float, dry_run: bool = False) -> Erasure:
    """Rewrite every committed file of ``archive`` without the messages at (``lat``, ``lon``)."""
    erased = files = unreadable = 0
    for path in committed_files(archive):
        table = pq.read_table(path, schema=ARCHIVE_SCHEMA.remove(4))
        places = [coordinates_of(payload) for payload in table.column("payload").to_pylist()]
        unreadable += sum(place is None for place in places)
        keep = [place != (lat, lon) for place in places]
        if all(keep):
            continue
        erased += keep.count(False)
        files += 1
        if not dry_run:
            hidden = path.with_name(f".{path.name}.erasing")
            # INT64 milliseconds, as the job's sink writes them.
            pq.write_table(table.filter(pa.array(keep)), hidden, coerce_timestamps="ms")
            os.replace(hidden, path)
    return Erasure(erased, files, unreadable)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive.erasure", description=__doc__.splitlines()[0])
    parser.add_argument("--lat", type=float, required=True, help="the sensor's latitude, as its readings carry it")
    parser.add_argument("--lon", type=float, required=True, help="the sensor's longitude, as its readings carry it")
    parser.add_argument("--archive", type=Path, default=Path("var/archive"), help="a local archive (default: var/archive)")
    parser.add_argument("--dry-run", action="store_true", help="count, rewrite nothing")
    args = parser.parse_args(argv)
    if not args.archive.is_dir():
        print(f"no archive at {args.archive}", file=sys.stderr)
        return 1
    result = erase_sensor(args.archive, args.lat, args.lon, dry_run=args.dry_run)
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb} {result.erased} messages in {result.files} files; "
          f"{result.unreadable} messages without readable coordinates kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
