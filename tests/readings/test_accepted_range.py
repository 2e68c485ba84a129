"""The accepted range of event times, held the same by the parser, the job's source and the oracle.

A reading's time must lie from January 1 of the earliest accepted year (UTC) to the broker's
clock plus the future margin, and within the years 1 to 9999 in UTC. The parser judges the
reading; the JVM function ``ReadingEventTime`` gives the watermark the same times (the epoch for
any other), and ``oracle.watermark`` replays it: property tests hold all three to each other.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyflink.java_gateway import get_gateway

from jobs.hourly_region_means import event_time_expression
from oracle.watermark import watermark_time_ms
from readings import Reading, ReadingParser, Reason, Rejection
from readings.timestamps import LAST_MS, earliest_ms
from settings import ReadingRules
from tests.support.reading_strategies import broker_ms, rules, stamps
from udfs.jvm_functions import job_functions


def message(stamp: str) -> bytes:
    return json.dumps({"id": "r", "timestamp": stamp, "lat": 48.1, "lon": -1.7, "temperature": 9.5}).encode()


@pytest.fixture(scope="module")
def event_time():
    """``ReadingEventTime`` of the job functions jar, and a way to make the Kafka timestamp it takes."""
    return job_functions().events.ReadingEventTime(), get_gateway().jvm.java.time.Instant.ofEpochMilli


def java_event_ms(event_time, payload: bytes, judged_at_ms: int, rules: ReadingRules) -> int:
    function, instant = event_time
    offered = function.eval(payload, instant(judged_at_ms), rules.timezone,
                            round(rules.future_margin_seconds * 1000), earliest_ms(rules.earliest_year))
    return offered.toEpochMilli()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stamp=stamps(), judged_at_ms=broker_ms, reading_rules=rules)
def test_parser_source_and_oracle_agree_on_every_time(event_time, stamp: str, judged_at_ms: int,
                                                      reading_rules: ReadingRules) -> None:
    payload = message(stamp)
    verdict = ReadingParser(reading_rules).parse(payload, judged_at_ms)
    offered = watermark_time_ms(payload, judged_at_ms, reading_rules)
    assert java_event_ms(event_time, payload, judged_at_ms, reading_rules) == (offered or 0)
    if isinstance(verdict, Reading):
        assert offered == verdict.event_time_ms - verdict.event_time_ms % 1000
        assert earliest_ms(reading_rules.earliest_year) <= verdict.event_time_ms <= LAST_MS
        assert isinstance(verdict.event_time, datetime)  # every accepted time is one
    else:
        assert verdict.reason in (Reason.INVALID_TIMESTAMP, Reason.FUTURE_TIMESTAMP)
        assert offered is None


@settings(max_examples=200, deadline=None)
@given(payload=st.one_of(st.binary(max_size=64),
                         st.binary(max_size=8).map(lambda unit: b'{"timestamp": "' + unit * 1000 + b'"}')),
       judged_at_ms=broker_ms)
def test_the_source_offers_nothing_for_bytes_that_are_no_reading(event_time, payload: bytes, judged_at_ms: int) -> None:
    offered = watermark_time_ms(payload, judged_at_ms, ReadingRules())
    assert java_event_ms(event_time, payload, judged_at_ms, ReadingRules()) == (offered or 0)


def test_year_one_is_refused_everywhere(event_time) -> None:
    """Issue 13: "0001-01-01T00:00:00+01:00" passed as a valid reading, even with the earliest year at 1."""
    payload = message("0001-01-01T00:00:00+01:00")
    for year in (1, 2000):
        lenient = ReadingRules(earliest_year=year)
        assert type(ReadingParser(lenient).parse(payload, 1_795_000_000_000)) is Rejection
        assert watermark_time_ms(payload, 1_795_000_000_000, lenient) is None
        assert java_event_ms(event_time, payload, 1_795_000_000_000, lenient) == 0


def test_the_job_passes_the_earliest_time_to_its_source() -> None:
    expression = event_time_expression(ReadingRules(timezone="Europe/Paris", earliest_year=1990))
    assert expression.endswith(f"'Europe/Paris', CAST(600000 AS BIGINT), CAST({earliest_ms(1990)} AS BIGINT))")


def test_a_repeated_call_answers_like_the_first_and_any_other_input_is_judged_anew(event_time) -> None:
    """Flink calls the function twice per message; the second call reuses the first's answer,
    and only for exactly the same inputs (``ReadingEventTime.LastCall``)."""
    rules = ReadingRules()
    now_ms = 1_795_000_000_000
    in_time, far_future = message("2026-11-18 10:00:00"), message("2027-11-18 10:00:00")
    first = java_event_ms(event_time, in_time, now_ms, rules)
    assert first > 0 and java_event_ms(event_time, in_time, now_ms, rules) == first
    assert java_event_ms(event_time, far_future, now_ms, rules) == 0  # beyond the future margin
    # The same bytes judged at another Kafka time, or under other rules, are parsed again.
    assert java_event_ms(event_time, far_future, now_ms + 366 * 86_400_000, rules) > 0
    paris = ReadingRules(timezone="Europe/Paris")  # the default is UTC; Paris is UTC+1 in November
    assert first - java_event_ms(event_time, in_time, now_ms, paris) == 3_600_000
