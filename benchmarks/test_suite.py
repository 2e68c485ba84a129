"""The test suite's figures (passed, skipped, coverage, minutes) from the output of a whole run.

The README quotes them. They come from the end of what ``bash .ci/run`` (``make test`` on a fresh
clone: the installation, the linters, then pytest with coverage) printed, so a run on a fresh
clone of a commit gives that commit's figures:

    git clone -q . /tmp/ci-fresh && (cd /tmp/ci-fresh && bash .ci/run) > ci.log 2>&1
    .venv/bin/python -m benchmarks.test_suite ci.log --checkout /tmp/ci-fresh

A run with a failure or an error has no figures to quote: nothing is recorded.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchmarks import records

COVERAGE = re.compile(r"Total coverage: ([\d.]+)%")
# pytest's last line: "= 2101 passed, 4 skipped, 47 deselected, 13 warnings in 156.35s (0:02:36) ="
SUMMARY = re.compile(r"^=+ (.*?) in ([\d.]+)s(?: \([\d:]+\))? =+$", re.M)
COUNT = re.compile(r"(\d+) (passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?)")


class NotAPassingRun(ValueError):
    """The output holds no passing run's summary."""


def suite_figures(output: str) -> dict[str, float]:
    """The figures of the last pytest summary and coverage total in ``output``."""
    summaries, coverages = SUMMARY.findall(output), COVERAGE.findall(output)
    if not summaries or not coverages:
        raise NotAPassingRun("no pytest summary with a coverage total: was it the output of .ci/run?")
    counts_text, seconds = summaries[-1]
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in COUNT.findall(counts_text)}
    if counts.get("failed") or counts.get("error"):
        raise NotAPassingRun(f"the run did not pass ({counts_text})")
    return {
        "coverage_percent": float(coverages[-1]),
        "passed": counts.get("passed", 0),
        "skipped": counts.get("skipped", 0),
        "tests_seconds": float(seconds),
        "tests_minutes": round(float(seconds) / 60, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", type=Path, help="what bash .ci/run printed")
    parser.add_argument("--checkout", type=Path, default=records.ROOT, help="the clone the run tested (its commit is recorded)")
    args = parser.parse_args(argv)
    try:
        figures = suite_figures(args.log.read_text(encoding="utf-8", errors="replace"))
    except NotAPassingRun as error:
        sys.exit(f"test_suite.py: nothing recorded: {error}")
    records.write("test_suite", figures, argv=argv, measured=args.checkout)


if __name__ == "__main__":
    main()
