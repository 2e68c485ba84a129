"""Shared fixtures of the region lookup tests: the shipped index and the lists in data/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geo import RegionIndex

DATA = Path(__file__).resolve().parent / "data"


def read_rows(name: str) -> list[dict[str, str]]:
    """The rows of ``data/<name>.csv`` as dicts."""
    with open(DATA / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def index() -> RegionIndex:
    return RegionIndex.default()
