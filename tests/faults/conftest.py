"""Keeps the figures of each fault test (``record_property``) in var/reliability/last-run.jsonl,
the source of the figures in docs/reliability.md; each test session starts the file anew."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / "var" / "reliability" / "last-run.jsonl"
_started = False


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _started
    if report.when != "call" or not report.nodeid.startswith("tests/faults/"):
        return
    if not _started:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("")
        _started = True
    line = {"test": report.nodeid.split("::")[-1], "outcome": report.outcome, "seconds": round(report.duration),
            **dict(report.user_properties)}
    with REPORT.open("a") as out:
        out.write(json.dumps(line) + "\n")
