"""The oracle's rules (docs/contract.md §3), one rule per test, on real region boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oracle import ExpectedRow, expected_outcome
from readings import Reason
from tests.support.messages import BASE, CAEN, CLOCK, MADRID, at, raw, reading

HOUR = timedelta(hours=1)


def rows_by_key(messages, **options) -> dict[tuple, ExpectedRow]:
    return {(row.hour, row.region): row for row in expected_outcome(messages, **options).rows}


def test_nothing_in_nothing_out() -> None:
    outcome = expected_outcome([])
    assert (outcome.rows, outcome.late, outcome.rejected) == ((), (), ())


def test_an_exact_duplicate_counts_once() -> None:
    rows = rows_by_key([reading("a", 10, 12.0), reading("b", 20, 14.0), reading("a", 10, 12.0)])
    assert rows == {(BASE, "Bretagne"): ExpectedRow(BASE, "Bretagne", 13.0, 2, None)}


def test_a_correction_moves_the_reading_to_another_hour_and_region() -> None:
    rows = rows_by_key([reading("a", 10, 12.0), reading("b", 20, 14.0), reading("a", 70, 9.0, CAEN)])
    assert rows == {
        (BASE, "Bretagne"): ExpectedRow(BASE, "Bretagne", 14.0, 1, None),
        (BASE + HOUR, "Normandie"): ExpectedRow(BASE + HOUR, "Normandie", 9.0, 1, None),
    }


def test_a_row_whose_count_drops_to_zero_disappears() -> None:
    rows = rows_by_key([reading("a", 10, 12.0), reading("a", 70, 12.0)])
    assert list(rows) == [(BASE + HOUR, "Bretagne")]


def test_the_last_version_wins_and_the_mean_is_exact() -> None:
    messages = [reading(f"r{n}", n, 0.1) for n in range(10)] + [reading("r0", 0, 0.7)]
    (row,) = expected_outcome(messages).rows
    assert row.readings == 10
    assert row.mean_temperature == (0.1 * 9 + 0.7) / 10 == 0.16  # fsum: no digit lost to the order


def test_the_column_three_hours_before_follows_the_earlier_hour() -> None:
    rows = rows_by_key([reading("a", 10, 10.0), reading("b", 190, 20.0), reading("c", 70, 5.0), reading("a", 11, 12.0)])
    assert rows[(BASE + 3 * HOUR, "Bretagne")].mean_temperature_3h_before == 12.0
    assert rows[(BASE, "Bretagne")].mean_temperature_3h_before is None
    assert rows[(BASE + HOUR, "Bretagne")].mean_temperature_3h_before is None


def test_three_hours_before_is_per_region() -> None:
    rows = rows_by_key([reading("a", 10, 10.0), reading("b", 190, 20.0, CAEN)])
    assert rows[(BASE + 3 * HOUR, "Normandie")].mean_temperature_3h_before is None


def test_within_the_lateness_counts_beyond_goes_to_the_late_topic() -> None:
    # The watermark after the first message: BASE + 5:00 - 30 s; the horizon BASE + 1:59:30.
    newest = reading("newest", 300, 20.0)
    on_horizon = reading("on-horizon", 119.5, 10.0)
    beyond = reading("beyond", 119.49, 30.0)
    outcome = expected_outcome([newest, on_horizon, beyond])
    assert [(row.hour, row.readings) for row in outcome.rows] == [(BASE + HOUR, 1), (BASE + 5 * HOUR, 1)]
    (late,) = outcome.late
    assert (late.reading.id, late.region, late.replaced_version_too_late) == ("beyond", "Bretagne", False)
    assert late.watermark_ms == int((BASE + 5 * HOUR - timedelta(seconds=30)).timestamp() * 1000)


def test_nothing_is_late_before_the_first_watermark() -> None:
    outcome = expected_outcome([reading("old", -10_000, 1.0), reading("new", 0, 2.0)])
    assert outcome.late == () and len(outcome.rows) == 2


def test_a_correction_of_a_version_beyond_the_lateness_is_refused() -> None:
    messages = [reading("a", 10, 12.0), reading("b", 400, 20.0), reading("a", 390, 29.0)]
    outcome = expected_outcome(messages)
    assert [(row.hour, row.mean_temperature) for row in outcome.rows] == [(BASE, 12.0), (BASE + 6 * HOUR, 20.0)]
    (late,) = outcome.late
    assert (late.reading.id, late.reading.temperature, late.replaced_version_too_late) == ("a", 29.0, True)


def test_a_too_late_version_leaves_the_winner_in_place() -> None:
    messages = [reading("a", 10, 12.0), reading("b", 400, 20.0), reading("a", 11, 29.0), reading("a", 10, 12.0)]
    outcome = expected_outcome(messages)
    assert [late.replaced_version_too_late for late in outcome.late] == [False, False]
    assert outcome.rows[0].mean_temperature == 12.0


def test_the_out_of_orderness_and_lateness_are_parameters() -> None:
    messages = [reading("new", 60, 1.0), reading("old", 0, 2.0)]
    strict = expected_outcome(messages, out_of_orderness=timedelta(0), allowed_lateness=timedelta(minutes=59))
    assert [late.reading.id for late in strict.late] == ["old"]
    assert expected_outcome(messages, allowed_lateness=timedelta(minutes=59, seconds=30)).late == ()


def test_a_future_timestamp_is_rejected_and_does_not_move_the_watermark() -> None:
    sensor_clock = at(5)
    future = reading("future", 5 + 11, 20.0, judged_at=sensor_clock)
    almost = reading("almost", 5 + 10, 20.0, judged_at=sensor_clock)
    old = reading("old", -200, 10.0)
    outcome = expected_outcome([future, old])
    assert [r.reason for r in outcome.rejected] == [Reason.FUTURE_TIMESTAMP]
    assert outcome.late == ()
    assert [late.reading.id for late in expected_outcome([almost, old]).late] == ["old"]


def test_a_broken_message_with_a_readable_timestamp_still_moves_the_watermark() -> None:
    broken = raw(b'{"id": "s", "timestamp": "2019-04-28 09:00:00", "lat": 48.1, "lon": -1.6, "temperature": "9"}')
    outcome = expected_outcome([broken, reading("old", 0, 1.0)])
    assert [r.reason for r in outcome.rejected] == [Reason.INVALID_TYPE]
    assert [late.reading.id for late in outcome.late] == ["old"]


def test_text_that_is_not_strict_json_does_not_move_the_watermark() -> None:
    nan = raw(b'{"id": "n", "timestamp": "2019-04-28 09:00:00", "lat": 48.1, "lon": -1.6, "temperature": NaN}')
    outcome = expected_outcome([nan, reading("old", 0, 1.0)])
    assert [r.reason for r in outcome.rejected] == [Reason.TEMPERATURE_OUT_OF_RANGE]
    assert outcome.late == ()


GOOD = '"id": "x", "timestamp": "2019-04-28 04:10:00", "lat": 48.11, "lon": -1.68'


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", Reason.EMPTY_MESSAGE),
        (b"\xff\xfe garbage", Reason.INVALID_ENCODING),
        (b"{not json", Reason.MALFORMED_JSON),
        (b"[1, 2]", Reason.NOT_AN_OBJECT),
        (f'{{{GOOD}, "temperature": 1.0, "lat": 48.2}}'.encode(), Reason.DUPLICATE_KEY),
        (b'{"id": "x", "timestamp": "2019-04-28 04:10:00"}', Reason.MISSING_FIELD),
        (f'{{{GOOD}, "temperature": true}}'.encode(), Reason.INVALID_TYPE),
        (f'{{{GOOD}, "temperature": 1.0}}'.replace('"x"', '""').encode(), Reason.INVALID_ID),
        (f'{{{GOOD}, "temperature": 1.0}}'.replace("04:10:00", "4h10").encode(), Reason.INVALID_TIMESTAMP),
        (f'{{{GOOD}, "temperature": 1.0}}'.replace("2019-04-28", "2019-05-28").encode(), Reason.FUTURE_TIMESTAMP),
        (f'{{{GOOD}, "temperature": 1.0}}'.replace("48.11", "95.0").encode(), Reason.INVALID_COORDINATES),
        (f'{{{GOOD}, "temperature": 120.0}}'.encode(), Reason.TEMPERATURE_OUT_OF_RANGE),
        (reading("x", 10, 1.0, MADRID).value, Reason.OUTSIDE_FRANCE),
    ],
)
def test_each_rejection_reason_passes_through(value: bytes, reason: Reason) -> None:
    outcome = expected_outcome([raw(value), reading("ok", 10, 1.0)])
    (rejection,) = outcome.rejected
    assert rejection.reason is reason
    assert len(outcome.rows) == 1 and outcome.late == ()


def test_outside_france_says_the_nearest_region() -> None:
    (rejection,) = expected_outcome([reading("m", 10, 1.0, MADRID)]).rejected
    assert rejection.reading_id == "m" and "nearest is" in rejection.detail


def test_the_clock_of_each_message_judges_it() -> None:
    assert expected_outcome([reading("a", 10, 1.0, judged_at=CLOCK)]).rejected == ()
