"""The rows held: the newest K hours, removals, and records outside the window ignored."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dashboard.records import Removal
from dashboard.state import CurrentResults
from results.rows import ResultRow
from tests.dashboard.fakes import HOUR

ONE_HOUR = timedelta(hours=1)


def row(hour: datetime, region: str = "Bretagne", mean: float = 10.0) -> ResultRow:
    return ResultRow(hour, region, mean, 3, None, None)


def results(hours_kept: int = 3) -> CurrentResults:
    return CurrentResults(hours_kept, clock=lambda: HOUR + timedelta(minutes=5))


def test_a_new_row_and_a_new_value_are_changes_the_same_value_is_not() -> None:
    state = results()
    assert state.apply(row(HOUR)) is True
    assert state.apply(row(HOUR)) is False
    assert state.apply(row(HOUR, mean=11.0)) is True
    assert state.rows() == [row(HOUR, mean=11.0)]


def test_a_removal_deletes_the_row_and_a_removal_of_nothing_changes_nothing() -> None:
    state = results()
    state.apply(row(HOUR, "Corse"))
    assert state.apply(Removal(HOUR, "Corse")) is True
    assert state.apply(Removal(HOUR, "Corse")) is False
    assert state.rows() == []


def test_only_the_newest_hours_are_kept_and_older_records_ignored() -> None:
    state = results(hours_kept=3)
    for back in (5, 4, 3, 2, 1, 0):
        state.apply(row(HOUR - back * ONE_HOUR))
    assert [kept.hour for kept in state.rows()] == [HOUR - 2 * ONE_HOUR, HOUR - ONE_HOUR, HOUR]
    assert state.apply(row(HOUR - 3 * ONE_HOUR, mean=99.0)) is False
    assert state.apply(Removal(HOUR - 3 * ONE_HOUR, "Bretagne")) is False
    assert state.newest_hour == HOUR


def test_memory_is_bounded_whatever_the_topic_holds() -> None:
    state = results(hours_kept=24)
    regions = ["Bretagne", "Corse", "Normandie"]
    for back in range(24 * 30, -1, -1):  # a month of hours, oldest first, as a topic is read
        for region in regions:
            state.apply(row(HOUR - back * ONE_HOUR, region))
    assert len(state.rows()) == 24 * len(regions)


def test_an_hour_far_ahead_of_the_clock_is_ignored_and_evicts_nothing() -> None:
    state = results()
    state.apply(row(HOUR))
    assert state.apply(row(HOUR + 2 * ONE_HOUR)) is False
    assert state.apply(row(datetime(9999, 12, 31, 23, tzinfo=HOUR.tzinfo))) is False
    assert state.rows() == [row(HOUR)]
    assert state.apply(row(HOUR + ONE_HOUR)) is True  # readings up to the future margin: the next hour


def test_rows_come_oldest_hour_first_then_by_region() -> None:
    state = results()
    for item in (row(HOUR, "Corse"), row(HOUR - ONE_HOUR, "Normandie"), row(HOUR, "Bretagne")):
        state.apply(item)
    assert [(kept.hour, kept.region) for kept in state.rows()] == [
        (HOUR - ONE_HOUR, "Normandie"), (HOUR, "Bretagne"), (HOUR, "Corse")]


def test_zero_hours_kept_is_refused() -> None:
    with pytest.raises(ValueError):
        CurrentResults(0)
