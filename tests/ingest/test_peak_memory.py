"""Issue 13, case 6: the poller's memory followed the number of items (2 million ``{}``, a 4 MB body, took 594 MB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.peak_memory import CAP

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("body", ["issue_2M_empty_objects", "empty_objects", "oversized_elements"])
def test_a_poll_holds_little_more_than_its_body_whatever_the_body(body: str) -> None:
    """The body once, a batch of records and what Kafka has not acknowledged: under three times the 64 MiB cap."""
    result = subprocess.run([sys.executable, "-m", "tests.ingest.peak_memory", "--body", body], cwd=ROOT,
                            env=os.environ, capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(result.stdout)
    assert figures["records"] <= 100_001
    assert figures["growth_mib"] * 2**20 < 3 * CAP, figures
