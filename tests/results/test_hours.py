"""The hour of a result: epoch milliseconds to the UTC hour start, and how an hour is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from readings.timestamps import FIRST_MS
from results.hours import HOUR_MS, as_utc, hour_of, hour_text

H4 = datetime(2019, 4, 28, 4, tzinfo=UTC)
H4_MS = 1_556_424_000_000


def test_an_epoch_ms_belongs_to_the_hour_that_starts_at_or_before_it() -> None:
    assert hour_of(H4_MS) == H4
    assert hour_of(H4_MS + HOUR_MS - 1) == H4
    assert hour_of(H4_MS + HOUR_MS) == H4 + timedelta(hours=1)
    assert hour_of(-1) == datetime(1969, 12, 31, 23, tzinfo=UTC)


def test_the_first_hour_python_holds_is_exact() -> None:
    assert hour_of(FIRST_MS) == datetime.min.replace(tzinfo=UTC)


def test_an_hour_is_shown_in_utc_whatever_its_zone() -> None:
    assert hour_text(H4) == "2019-04-28 04:00"
    assert hour_text(H4.astimezone(timezone(timedelta(hours=2)))) == "2019-04-28 04:00"
    assert hour_text(datetime(2019, 4, 28, 4)) == "2019-04-28 04:00"  # naive, as the driver returns it


def test_a_naive_time_is_utc_and_an_aware_one_is_converted() -> None:
    assert as_utc(datetime(2019, 4, 28, 4)) == H4
    assert as_utc(datetime(2019, 4, 28, 6, tzinfo=timezone(timedelta(hours=2)))).hour == 4
