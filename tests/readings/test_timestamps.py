"""The timestamp forms accepted, the zone of naive ones, and DST edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readings.rejected import utc_text
from readings.timestamps import EPOCH, FIRST_MS, LAST_MS, InvalidTimestamp, earliest_ms, epoch_ms, utc_text_of_ms, zone_of

UTC = UTC
PARIS = ZoneInfo("Europe/Paris")
BASE = 1550584930000  # 2019-02-19 14:02:10 UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-02-19 14:02:10", BASE),
        ("2019-02-19T14:02:10", BASE),
        ("2019-02-19T14:02:10Z", BASE),
        ("2019-02-19 14:02:10Z", BASE),
        ("2019-02-19T15:02:10+01:00", BASE),
        ("2019-02-19T15:02:10+0100", BASE),
        ("2019-02-19T15:02:10+01", BASE),
        ("2019-02-19T09:02:10-05:00", BASE),
        ("2019-02-19T14:02:10.123Z", BASE + 123),
        ("2019-02-19T14:02:10,5Z", BASE + 500),
        ("2019-02-19T14:02:10.123456789Z", BASE + 123),
        ("2019-02-19 14:02", BASE - 10_000),
        ("2019-02-19 14:02+01", BASE - 3_600_000 - 10_000),
    ],
)
def test_accepted_forms(text: str, expected: int) -> None:
    assert epoch_ms(text, UTC) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", "yesterday", "2019-02-19", "2019-02-19T14", "2019-02-19x14:02:10", "2019-W08-2 14:02:10",
        "20190219T140210", "2019-02-30 10:00:00", "2019-02-19 24:00:00", "2019-02-19 14:02:10 ", " 2019-02-19 14:02:10",
        "2019-02-19t14:02:10z", "0000-01-01 00:00:00", "2019-02-19 14:02:1Z", "١٢٣٤-02-19 14:02:10", "2019-02-19 14:02:60",
    ],
)
def test_refused_forms(text: str) -> None:
    with pytest.raises(InvalidTimestamp):
        epoch_ms(text, UTC)


def test_naive_times_are_in_the_configured_zone_and_offsets_win() -> None:
    assert epoch_ms("2019-02-19 15:02:10", PARIS) == BASE
    assert epoch_ms("2019-07-19 16:02:10", PARIS) == epoch_ms("2019-07-19 14:02:10", UTC)
    assert epoch_ms("2019-02-19T14:02:10Z", PARIS) == BASE


def test_a_time_skipped_by_dst_does_not_exist() -> None:
    with pytest.raises(InvalidTimestamp, match="does not exist"):
        epoch_ms("2019-03-31 02:30:00", PARIS)


def test_a_time_that_happens_twice_is_the_first() -> None:
    first = datetime(2019, 10, 27, 0, 30, tzinfo=UTC).timestamp() * 1000  # 02:30 CEST
    assert epoch_ms("2019-10-27 02:30:00", PARIS) == first


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("0001-01-01 00:05:00", PARIS),  # before year 1 in UTC (Paris was +00:09:21)
        ("0001-01-01T00:00:00+01:00", UTC),
        ("0001-01-01T00:00:00.999+00:01", UTC),
        ("9999-12-31T23:59:59-23:59", UTC),
        ("9999-12-31T23:00:00-01:00", UTC),
    ],
)
def test_times_outside_the_years_1_to_9999_in_utc_are_invalid(text: str, zone) -> None:
    """Every tool shows an accepted time as an ordinary date: Python's datetime stops at those years."""
    with pytest.raises(InvalidTimestamp, match="is outside the years 1 to 9999 in UTC|is not a valid time"):
        epoch_ms(text, zone)


def test_the_first_and_last_milliseconds_of_the_years_1_to_9999() -> None:
    assert epoch_ms("0001-01-01T00:00:00Z", UTC) == FIRST_MS
    assert epoch_ms("0001-01-01 00:00:00", UTC) == FIRST_MS
    assert epoch_ms("9999-12-31T23:59:59.999Z", UTC) == LAST_MS
    assert epoch_ms("9999-12-31T22:59:59.999-01:00", UTC) == LAST_MS
    assert EPOCH + timedelta(milliseconds=FIRST_MS) == datetime.min.replace(tzinfo=UTC)


def test_earliest_ms() -> None:
    assert earliest_ms(2000) == 946684800000
    assert earliest_ms(1) == FIRST_MS
    for year in (0, 10000):
        with pytest.raises(ValueError, match="from 1 to 9999"):
            earliest_ms(year)


def test_a_huge_text_is_quoted_by_its_start() -> None:
    with pytest.raises(InvalidTimestamp) as refused:
        epoch_ms("2" * 1_000_000, UTC)
    assert len(str(refused.value)) < 200 and "(1,000,000 characters)" in str(refused.value)


def test_zone_of() -> None:
    assert zone_of("UTC") is UTC
    assert zone_of("utc") is UTC
    assert zone_of("Europe/Paris") == PARIS


@settings(max_examples=300)
@given(st.integers(FIRST_MS, LAST_MS))
def test_any_millisecond_prints_as_python_prints_the_years_1_to_9999(milliseconds: int) -> None:
    assert utc_text_of_ms(milliseconds) == utc_text(EPOCH + timedelta(milliseconds=milliseconds))


def test_times_outside_the_years_1_to_9999_print_with_an_expanded_year() -> None:
    assert utc_text_of_ms(FIRST_MS - 3_600_000) == "0000-12-31T23:00:00.000Z"
    assert utc_text_of_ms(FIRST_MS - 366 * 86_400_000) == "0000-01-01T00:00:00.000Z"  # year 0 is a leap year
    assert utc_text_of_ms(FIRST_MS - 367 * 86_400_000) == "-0001-12-31T00:00:00.000Z"
    assert utc_text_of_ms(LAST_MS + 1) == "+10000-01-01T00:00:00.000Z"
