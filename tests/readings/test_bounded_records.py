"""Every record we write fits the topic, whatever the input (issue 13): property tests.

A record a producer refuses stops its writer for good, so the rejected records (Python, the
poller's and the job's) and the late records (JVM, ``LateRecord``) are bounded by construction;
these tests try arbitrary bytes, keys and field values, megabytes long, against that bound.
Long inputs are drawn as a short unit repeated, so a few hundred examples stay quick.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readings import Reason, Rejection, rejection_record
from readings.parser import epoch_ms_of
from readings.rejected import MAX_RECORD_BYTES, utc_text
from readings.timestamps import EPOCH, FIRST_MS, LAST_MS, utc_text_of_ms
from tests.readings.box_regions import BoxRegions
from tests.support.plain_readings import job_parse
from udfs.jvm_functions import job_functions
from udfs.parse_and_locate import REJECTED

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RECORD_FIELDS = {"reason", "detail", "stage", "raw", "rejected_at"}
BIG = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every character JSON escapes or UTF-8 widens, unpaired surrogates included, often.
awkward = st.sampled_from(['"', "\\", "\x00", "\x01", "\x1f", "\n", "\u2028", "é", "€", "😀", "\udc80", "\ud800", "a"])
unit = st.text(st.one_of(awkward, st.characters(exclude_categories=())), min_size=1, max_size=6)


def repeated(units: st.SearchStrategy, longest: int) -> st.SearchStrategy:
    """Short values, or a unit repeated up to ``longest`` times (megabytes, cheaply)."""
    return st.one_of(
        units.map(lambda text: text[:3]),
        st.builds(lambda text, count: text * count, units, st.integers(0, longest)),
    )


texts = repeated(unit, 400_000)
payload_bytes = repeated(st.binary(min_size=1, max_size=6), 1_500_000)


def record_size(key: bytes | None, value: bytes) -> int:
    return (0 if key is None else len(key)) + len(value)


@settings(BIG, max_examples=150)
@given(
    reason=st.sampled_from(list(Reason)),
    detail=texts,
    raw=texts,
    reading_id=st.none() | texts,
    stage=st.sampled_from(["ingest", "job"]),
    limit=st.one_of(st.just(MAX_RECORD_BYTES), st.integers(1024, 50_000)),
)
def test_every_rejected_record_fits(reason, detail, raw, reading_id, stage, limit) -> None:
    key, value = rejection_record(Rejection(reason, detail, raw, reading_id), stage, NOW, max_record_bytes=limit)
    assert record_size(key, value) <= limit
    record = json.loads(value)
    assert set(record) - {"truncated", "original_bytes"} == RECORD_FIELDS
    assert (record["reason"], record["stage"], record["rejected_at"]) == (str(reason), stage, utc_text(NOW))
    whole_key = None if reading_id is None else reading_id.encode("utf-8", "backslashreplace")
    if "truncated" not in record:
        assert (key, record["detail"], record["raw"]) == (whole_key, detail, raw)
        return
    assert record["truncated"] is True and record["original_bytes"] > limit
    assert detail.startswith(record["detail"]) and raw.startswith(record["raw"])
    assert key is None if whole_key is None else whole_key.startswith(key)


def json_field(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)


object_texts = repeated(unit, 100_000)
fields = st.one_of(object_texts, st.integers(-(10**30), 10**30), st.floats(allow_nan=True), st.booleans(), st.none())
names = st.one_of(st.sampled_from(["id", "timestamp", "lat", "lon", "temperature"]), object_texts)


@st.composite
def objects(draw) -> bytes:
    """A JSON object with the reading's fields and others, any of them huge or repeated."""
    members = {"id": draw(st.one_of(object_texts, st.just("r-1"))),
               "timestamp": draw(st.one_of(object_texts, st.just("2026-11-28 11:00:00"))),
               "lat": 48.1, "lon": -1.7, "temperature": 9.5}
    members |= draw(st.dictionaries(names, fields, max_size=3))
    pairs = [f"{json.dumps(name)}: {json_field(value)}" for name, value in members.items()]
    pairs += [f"{json.dumps(name)}: 1" for name in draw(st.lists(names, max_size=2))]  # maybe repeated
    return ("{" + ", ".join(pairs) + "}").encode("utf-8", "surrogatepass")


@settings(BIG, max_examples=100)
@given(payloads=st.lists(st.one_of(payload_bytes, objects(), st.none()), min_size=1, max_size=4))
def test_every_record_of_the_jobs_parse_step_fits(payloads: list[bytes | None]) -> None:
    """What ``rejected_sink`` gets: the key and value strings, which the sink writes as UTF-8."""
    parsed = job_parse(payloads, [epoch_ms_of(NOW)] * len(payloads), BoxRegions(), NOW)
    assert len(parsed.rows) == len(payloads)
    for row in parsed.rows:
        if row["kind"] == REJECTED:
            key, value = row["dead_letter_key"], row["dead_letter_value"]
            assert record_size(None if key is None else key.encode("utf-8"), value.encode("utf-8")) <= MAX_RECORD_BYTES
            assert json.loads(value)["reason"] == row["reason"]


@pytest.fixture(scope="module")
def versions():
    """The Java package ``fr.iot.temperature.versions``, loaded from the job functions jar."""
    return job_functions().versions


def late_record(versions, reading_id: str, event_ms: int, watermark_ms: int, region: str = "Bretagne") -> tuple[str, dict]:
    version = versions.Version(event_ms, 48.1, -1.7, 9.5, region)
    row = versions.LateRecord.record(reading_id, version, watermark_ms, versions.Outcome.TOO_LATE)
    key, value = row.getString(0).toString(), row.getString(1).toString()
    assert len(key.encode()) + len(value.encode()) <= MAX_RECORD_BYTES
    return key, json.loads(value)


def test_python_and_java_hold_to_one_limit(versions) -> None:
    assert versions.LateRecord.MAX_RECORD_BYTES == MAX_RECORD_BYTES


# py4j carries strings as UTF-8, so no unpaired surrogates here (the job refuses such ids anyway).
java_texts = repeated(st.text(st.one_of(awkward.filter(lambda c: not "\ud800" <= c <= "\udfff"), st.characters()),
                              min_size=1, max_size=6), 100_000)


@settings(BIG, max_examples=40)
@given(reading_id=java_texts, event_ms=st.integers(-(2**62), 2**62), watermark_ms=st.integers(-(2**62), 2**62))
def test_every_late_record_fits(versions, reading_id: str, event_ms: int, watermark_ms: int) -> None:
    key, record = late_record(versions, reading_id, event_ms, watermark_ms)
    assert record["reason"] == "too_late" and record["region"] == "Bretagne"
    if "truncated" in record:
        assert record["truncated"] is True and record["original_bytes"] > len(reading_id)
        assert reading_id.startswith(key) and record["id"] == key
    else:
        assert key == record["id"] == reading_id


def test_a_3_mb_id_is_cut_in_the_key_and_the_value(versions) -> None:
    """Issue 13: a late record with a 3 MB id, and one whose id escapes to six times its size."""
    for reading_id in ("x" * 3_000_000, "\x01" * 300_000):
        key, record = late_record(versions, reading_id, 0, 0)
        assert key == record["id"] == reading_id[: MAX_RECORD_BYTES // 16]
        assert record["truncated"] is True and record["original_bytes"] > 2 * len(reading_id)


@settings(max_examples=300, deadline=None)
@given(event_ms=st.one_of(st.integers(FIRST_MS - 10**12, LAST_MS + 10**12), st.integers(-(2**63), 2**63 - 1)))
def test_late_records_print_times_as_python_does(versions, event_ms: int) -> None:
    _, record = late_record(versions, "r", event_ms, event_ms)
    assert record["timestamp"] == record["watermark"] == utc_text_of_ms(event_ms)
    if FIRST_MS <= event_ms <= LAST_MS:
        assert record["timestamp"] == utc_text(EPOCH + timedelta(milliseconds=event_ms))


def test_times_outside_the_years_1_to_9999_print_with_their_true_year(versions) -> None:
    """Issue 13: 0001-01-01T00:00:00+01:00 (year 0 in UTC) was printed 0001-12-31T23:00:00.000Z, a year off."""
    year_zero = FIRST_MS - 3_600_000
    assert late_record(versions, "r", year_zero, LAST_MS + 1)[1]["timestamp"] == "0000-12-31T23:00:00.000Z"
    assert late_record(versions, "r", 0, LAST_MS + 1)[1]["watermark"] == "+10000-01-01T00:00:00.000Z"
