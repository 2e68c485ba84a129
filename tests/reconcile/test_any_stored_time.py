"""``iot-reconcile`` reads whatever time a topic or a table holds without crashing (issue 13).

A reading stamped "0001-01-01T00:00:00+01:00" (year 0 in UTC) passed as valid; the report then
crashed with OverflowError for every hour, even with ``--hour``. Messages, late records and rows
from before the accepted range existed, or from a wild clock, must each end in the report.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle import SentMessage
from readings.timestamps import FIRST_MS, LAST_MS
from reconcile import reconcile
from reconcile.cli import arguments
from reconcile.report import report_json, report_text
from reconcile.sources import unshowable_problems
from results.reads import split_hours
from results.tables import RESULT_TABLES
from settings import ReadingRules, Settings
from tests.reconcile.records import both_tables, late_record, row
from tests.support.messages import BASE, RENNES, ms

RUN = {"readings_topic": "r", "rejected_topic": "j", "late_topic": "l", "keyspace": "k"}
STAMPS = ["0001-01-01T00:00:00+01:00", "0000-12-31 23:00:00", "9999-12-31T23:00:00-01:00", "9999-12-31 23:59:59",
          "0001-01-01 00:00:00", "1969-12-31T23:59:59.999Z", "2019-04-28 04:10:00"]


def stamped(stamp: str, judged_at_ms: int = ms(BASE) + 3_600_000) -> SentMessage:
    body = {"id": f"r-{stamp}", "timestamp": stamp, "lat": RENNES[0], "lon": RENNES[1], "temperature": 9.5}
    return SentMessage(json.dumps(body).encode(), judged_at_ms)


@settings(max_examples=150, deadline=None)
@given(
    stamp=st.sampled_from(STAMPS),
    judged_at_ms=st.one_of(st.just(ms(BASE) + 3_600_000), st.integers(-(2**63), 2**63 - 1)),
    earliest_year=st.sampled_from([1, 2000]),
    late_stamp=st.sampled_from(["0000-12-31T23:00:00.000Z", "+10000-01-01T00:00:00.000Z", "-0001-01-01T00:00:00.000Z",
                                "0001-01-01T00:00:00.000Z", "9999-12-31T23:00:00.000Z"]),
)
def test_any_time_in_the_topics_ends_in_a_report(stamp: str, judged_at_ms: int, earliest_year: int, late_stamp: str) -> None:
    late = {**late_record(stamped("2019-04-28 04:10:00")), "timestamp": late_stamp}
    report = reconcile([stamped(stamp, judged_at_ms)], [], [late], both_tables(), ReadingRules(earliest_year=earliest_year))
    assert report_text(report, RUN) and json.loads(report_json(report, RUN))
    for hour in report.hours:
        assert report.for_hours({hour.hour}).hours == (hour,)


def test_year_one_is_rejected_and_the_other_hours_still_balance() -> None:
    messages = [stamped("0001-01-01T00:00:00+01:00"), stamped("2019-04-28 04:10:00")]
    rejected = [{"reason": "invalid_timestamp", "stage": "job"}]
    report = reconcile(messages, rejected, [], both_tables(row("Bretagne", 1)))
    assert report.balanced and [hour.hour for hour in report.hours] == [BASE]
    assert report.for_hours({BASE}).balanced


def test_rows_at_hours_no_datetime_holds_are_set_apart_and_named() -> None:
    year_zero, year_ten_thousand = FIRST_MS - 3_600_000, LAST_MS + 1
    shown, apart = split_hours([(ms(BASE), "Bretagne", 10.0, 2, None), (year_zero, "Corse", 1.0, 1, None),
                                (year_ten_thousand, "Corse", 1.0, 1, None)])
    assert [(r.hour, r.region, r.readings) for r in shown] == [(BASE, "Bretagne", 2)]
    assert apart == [year_zero, year_ten_thousand]
    assert unshowable_problems({RESULT_TABLES[0]: apart, RESULT_TABLES[1]: []}) == (
        f"{RESULT_TABLES[0]}: 2 rows at hours outside the years 1 to 9999 (first 0000-12-31T23:00:00.000Z), "
        "which no reading in the accepted range can have",
    )


def test_an_hour_outside_the_years_1_to_9999_is_a_wrong_command_line(capsys: pytest.CaptureFixture) -> None:
    """``--hour`` went through the same overflow: now one line and exit 2, as for any wrong hour."""
    for hour in ("0001-01-01 00+01:00", "9999-12-31 23-01:00"):
        with pytest.raises(SystemExit) as stopped:
            arguments(["--hour", hour], Settings())
        assert stopped.value.code == 2
        assert "is not an hour between years 1 and 9999 in UTC" in capsys.readouterr().err
