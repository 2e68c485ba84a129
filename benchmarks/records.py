"""The record of a benchmark run: its figures with when, where and how they were measured.

Every benchmark ends with ``records.write(...)``, which saves ``benchmarks/records/<name>.json``
(the last run of that name; git keeps the earlier ones). The docs quote figures from these files
and mark each one (``benchmarks/doc_figures.py``), so a figure that no longer matches its record
fails ``tests/docs/test_doc_figures.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records"


class MissingFigure(LookupError):
    """A record or a key inside it that a doc names does not exist."""


# What a measurement does not depend on: the docs that quote it, and the records themselves.
NOT_MEASURED = (":(exclude)*.md", ":(exclude)benchmarks/records")


def commit(root: Path = ROOT) -> str:
    """The short commit measured, with ``+changes`` when tracked code differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *NOT_MEASURED)
    return f"{head}+changes" if changed else head


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, memory, host."""
    with open("/proc/meminfo") as meminfo:
        kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {"cores": os.cpu_count(), "memory_gib": round(kib / 2**20, 1), "host": platform.node(),
            "system": platform.platform(), "python": platform.python_version()}


def command(benchmark: str, argv: list[str] | None = None) -> str:
    """The command line that reruns this measurement from the repository's root."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "-m", f"benchmarks.{benchmark}", *args])


def add_name_option(parser: argparse.ArgumentParser, benchmark: str) -> None:
    """``--record NAME``: keep this run's record beside the usual one (another rate, another size)."""
    parser.add_argument("--record", default=benchmark, metavar="NAME",
                        help=f"save the figures as benchmarks/records/NAME.json (default: {benchmark})")


def write(benchmark: str, figures: dict[str, Any], name: str | None = None, argv: list[str] | None = None,
          folder: Path = RECORDS, measured: Path = ROOT) -> Path:
    """Save the run's record as ``<folder>/<name or benchmark>.json``; its path. ``measured``: the
    checkout whose commit was measured, when not this one (a fresh clone's test run)."""
    record = {
        "benchmark": benchmark,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(measured),
        "machine": machine(),
        "command": command(benchmark, argv),
        "figures": figures,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or benchmark}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"record: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def figure(reference: str, folder: Path = RECORDS) -> float:
    """The number a reference names: ``<record>:<key>.<key>…`` inside the record's figures (a
    number as key picks an item of a list)."""
    name, _, keys = reference.partition(":")
    path = folder / f"{name}.json"
    if not path.is_file():
        raise MissingFigure(f"no record {path.name}")
    value: Any = json.loads(path.read_text(encoding="utf-8"))["figures"]
    for key in keys.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]  # one run of several: ``rates.0``
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise MissingFigure(f"{path.name} has no figure {keys}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MissingFigure(f"{path.name}: {keys} is not a number")
    return float(value)
