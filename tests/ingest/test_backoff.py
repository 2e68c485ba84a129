"""The backoff between failed polls: exponential, jittered, capped, and floored by Retry-After."""

from __future__ import annotations

import random

import pytest

from ingest.backoff import Backoff


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    backoff = Backoff(base_seconds=1.0, max_seconds=10.0, rng=random.Random(1))
    for failures, step in [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (1000, 10)]:
        delays = [backoff.delay(failures) for _ in range(50)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("at_least", "expected"),
    [(None, None), (0.0, None), (3.0, 3.0), (999_999.0, 10.0)],
)
def test_retry_after_is_a_floor_clamped_to_the_maximum(at_least: float | None, expected: float | None) -> None:
    """Issue 13, case 4: ``Retry-After: 999999`` waited 11.6 days; ``0`` looped 4,887 times in 3 s."""
    backoff = Backoff(base_seconds=1.0, max_seconds=10.0, rng=random.Random(1))
    for _ in range(50):
        delay = backoff.delay(1, at_least=at_least)
        assert (0.5 <= delay <= 1.0) if expected is None else delay == expected


def test_no_wait_is_shorter_than_the_floor() -> None:
    assert Backoff(base_seconds=0.0, max_seconds=0.0).delay(1, at_least=0.0) == 0.25
    assert Backoff(max_seconds=0.01, min_seconds=0.5).delay(3) == 0.5
