"""The state benchmark's arithmetic, without the stack."""

from __future__ import annotations

import pytest

from benchmarks.state_size import slope


def test_the_bytes_per_id_are_the_slope_so_the_fixed_part_stays_out() -> None:
    fixed = 5_000_000
    assert slope([(ids, fixed + 150 * ids) for ids in (250_000, 500_000, 750_000, 1_000_000)]) == pytest.approx(150)
    assert slope([(1, 10.0), (2, 30.0), (3, 20.0)]) == pytest.approx(5)


def test_one_count_gives_no_slope() -> None:
    with pytest.raises(ValueError, match="two different counts"):
        slope([(1000, 5.0), (1000, 6.0)])
