"""The test suite's record read from a run's output: the last summary, and nothing from a failed run."""

from __future__ import annotations

import pytest

from benchmarks.test_suite import NotAPassingRun, suite_figures

PASSING = """\
tests/x.py ....
Name    Stmts   Miss  Cover
Required test coverage of 90.0% reached. Total coverage: 97.71%
= 1999 passed, 2 skipped, 47 deselected, 13 warnings in 1694.30s (0:28:14) =
"""


def test_the_figures_are_those_of_the_summary_and_the_coverage_total() -> None:
    assert suite_figures("= 3 passed in 1.00s =\nTotal coverage: 50.00%\n" + PASSING) == {
        "coverage_percent": 97.71, "passed": 1999, "skipped": 2, "tests_seconds": 1694.3, "tests_minutes": 28.24,
    }


@pytest.mark.parametrize("summary", ["= 1 failed, 1998 passed, 2 skipped in 1694.30s (0:28:14) =",
                                     "= 1999 passed, 2 skipped, 1 error in 1694.30s (0:28:14) ="])
def test_a_run_with_a_failure_or_an_error_gives_no_figures(summary: str) -> None:
    with pytest.raises(NotAPassingRun, match="did not pass"):
        suite_figures(PASSING.replace(PASSING.splitlines()[-1], summary))


def test_output_without_a_summary_is_refused() -> None:
    with pytest.raises(NotAPassingRun, match="no pytest summary"):
        suite_figures("make: *** [Makefile:31: test] Error 1\n")
