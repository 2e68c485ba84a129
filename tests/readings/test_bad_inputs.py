"""Every kind of the bad-input catalogue (``tests/support/bad_inputs.py``) through both stages, in process.

The ingestion is the real API client over loopback HTTP and the poller, into a fake Kafka; the
job is the parse-and-locate UDF's batch function. Both use the real region index, so points at
sea and swapped coordinates are judged by the official boundaries. Each kind must get the same
verdict at every stage it reaches, in a rejected record that follows docs/contract.md §2.3, and
never cost a good reading.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import NamedTuple

import pytest

from geo import RegionIndex
from ingest.api_client import SensorApiClient
from ingest.poller import EXIT_OK, Poller, ingest_metrics
from ingest.producer import ReliableProducer
from ingest.response import split_array
from readings import Reason
from readings.parser import epoch_ms_of
from readings.rejected import utc_text
from results.hours import HOUR_MS
from settings import IngestSettings, KafkaSettings, ReadingRules
from tests.support.bad_inputs import (
    ACCEPTED,
    JUDGED_AT,
    RESPONSE_LIMIT_BYTES,
    BadInput,
    array,
    catalogue,
    kafka_messages,
    reading,
)
from tests.support.fake_clock import FakeClock
from tests.support.fake_kafka_client import FakeDeliveryClient
from tests.support.http_server import send_body, serving
from tests.support.plain_readings import job_parse
from udfs.jvm_functions import job_functions
from udfs.parse_and_locate import READING

CATALOGUE = catalogue()
KINDS = [pytest.param(entry, id=entry.kind) for entry in CATALOGUE]
TOPICS = KafkaSettings()
RECORD_FIELDS = {"reason", "detail", "stage", "raw", "rejected_at"}


class Verdict(NamedTuple):
    """What a stage made of one input: a reason code or ACCEPTED, the Kafka key, the rejected record."""

    reason: str
    key: bytes | None
    record: dict | None


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return RegionIndex.default()


def good_readings(count: int) -> list[bytes]:
    return [reading(f"good-{number:03d}") for number in range(count)]


def ingest(bodies: Sequence[bytes], regions: RegionIndex, tmp_path: Path) -> list[Verdict]:
    """What the poller publishes for these API responses, one poll each, in order."""
    script = deque(bodies)

    def answer(request: BaseHTTPRequestHandler) -> None:
        send_body(request, script.popleft())

    clock = FakeClock()
    clock.wall = JUDGED_AT
    kafka = FakeDeliveryClient()
    settings = IngestSettings(spool_dir=str(tmp_path / "spool"), metrics_address="")
    with serving(answer) as url:
        client = SensorApiClient(url, "test-key", max_body_bytes=RESPONSE_LIMIT_BYTES)
        poller = Poller(client, ReliableProducer(kafka, clock), regions, TOPICS, ReadingRules(), settings, clock,
                        ingest_metrics())
        assert poller.run(max_polls=len(bodies)) == EXIT_OK
    return [
        Verdict(ACCEPTED, record.key, None) if record.topic == TOPICS.readings_topic
        else Verdict(*_rejected(record.key, record.value))
        for record in kafka.delivered
    ]


def job(messages: Sequence[bytes], regions: RegionIndex) -> list[Verdict]:
    """What the parse-and-locate UDF makes of these Kafka messages, all judged at JUDGED_AT."""
    parsed = job_parse(messages, [epoch_ms_of(JUDGED_AT)] * len(messages), regions, JUDGED_AT)
    return [
        Verdict(ACCEPTED, row["id"].encode(), None) if row["kind"] == READING
        else Verdict(*_rejected(None if row["dead_letter_key"] is None else row["dead_letter_key"].encode(),
                                row["dead_letter_value"].encode()))
        for row in parsed.rows
    ]


def _rejected(key: bytes | None, value: bytes) -> tuple[str, bytes | None, dict]:
    record = json.loads(value)
    return record["reason"], key, record


def verdicts_of(entry: BadInput, stage: str, regions: RegionIndex, tmp_path: Path) -> list[Verdict]:
    """The stage's verdicts on the entry alone; a message goes between two good readings, which must pass."""
    if stage == "ingest" and entry.body is not None:
        return ingest([entry.body], regions, tmp_path)
    first, last = good_readings(2)
    inputs = [first, *[entry.one_message] * entry.copies, last]
    verdicts = ingest([array(*inputs)], regions, tmp_path) if stage == "ingest" else job(inputs, regions)
    assert verdicts[0] == (ACCEPTED, b"good-000", None) and verdicts[-1] == (ACCEPTED, b"good-001", None)
    return verdicts[1:-1]


def input_of(entry: BadInput, stage: str) -> bytes:
    """The text a stage rejects: the whole body, or the one message (an element of the array at ingest)."""
    return entry.whole_body if stage == "ingest" and entry.body is not None else entry.one_message


@pytest.mark.parametrize("entry", KINDS)
def test_each_kind_gets_its_verdict_and_record_at_every_stage(entry: BadInput, regions: RegionIndex, tmp_path: Path) -> None:
    for stage in entry.stages:
        verdicts = verdicts_of(entry, stage, regions, tmp_path)
        assert [(verdict.reason, verdict.key) for verdict in verdicts] == [(entry.expected, entry.key)] * entry.copies, stage
        for verdict in verdicts:
            if verdict.record is not None:
                assert_follows_the_contract(verdict.record, stage, input_of(entry, stage))


def assert_follows_the_contract(record: dict, stage: str, raw: bytes) -> None:
    """docs/contract.md §2.3: reason, detail, stage, raw (the original text), rejected_at."""
    assert set(record) == RECORD_FIELDS and record["stage"] == stage and record["detail"]
    assert record["rejected_at"] == utc_text(JUDGED_AT)
    text = raw.decode("utf-8", "backslashreplace")
    if record["reason"] == Reason.RESPONSE_TOO_LARGE:  # only what was read before the limit is kept
        assert text.startswith(record["raw"]) and len(record["raw"]) > RESPONSE_LIMIT_BYTES
    else:
        assert record["raw"] == text
    if record["reason"] == Reason.OUTSIDE_FRANCE:
        assert re.search(r"nearest is .+, \d+\.\d km away$", record["detail"])


def test_the_catalogue_covers_the_issue() -> None:
    kinds = [entry.kind for entry in CATALOGUE]
    assert len(kinds) >= 20 and len(set(kinds)) == len(kinds)
    assert {entry.expected for entry in CATALOGUE} >= {*Reason, ACCEPTED}
    for entry in CATALOGUE:
        assert entry.stages and set(entry.stages) <= {"ingest", "job"}
        if "job" in entry.stages:
            assert entry.message is not None, entry.kind
        if "ingest" in entry.stages and entry.body is None:  # the API's array must carry the message as one element
            text = (entry.message or b"").decode()
            assert split_array(f"[{text}]") == [text], entry.kind


def test_the_kafka_export_lists_every_message_the_job_judges() -> None:
    messages = kafka_messages()
    job_kinds = [entry for entry in CATALOGUE if "job" in entry.stages]
    assert len(messages) == sum(entry.copies for entry in job_kinds)
    assert {kind for kind, *_ in messages} == {entry.kind for entry in job_kinds}
    assert all(isinstance(value, bytes) and (key is None or isinstance(key, bytes)) for _, key, value, _ in messages)
    assert kafka_messages("2026-11-28 11:00:00") != messages  # the readings' time follows the caller's clock


def mixed(entries: list[BadInput], goods: list[bytes]) -> tuple[list[bytes], list[bytes], list[str]]:
    """A good reading before each bad input and one at the end: (inputs, what must pass, reasons in order)."""
    inputs: list[bytes] = []
    passing: list[bytes] = []
    reasons: list[str] = []
    for good, entry in zip(goods, entries, strict=False):
        inputs += [good, *[entry.one_message] * entry.copies]
        passing.append(good)
        if entry.expected == ACCEPTED:
            passing += [entry.one_message] * entry.copies
        else:
            reasons += [entry.expected] * entry.copies
    inputs.append(goods[len(entries)])
    passing.append(goods[len(entries)])
    return inputs, passing, reasons


def test_ingest_publishes_every_good_reading_among_all_bad_kinds(regions: RegionIndex, tmp_path: Path) -> None:
    elements = [entry for entry in CATALOGUE if "ingest" in entry.stages and entry.body is None]
    bodies = [entry for entry in CATALOGUE if entry.body is not None]
    goods = good_readings(len(elements) + 1 + len(bodies))
    inputs, passing, reasons = mixed(elements, goods)
    script = [array(*inputs)]
    for entry, good in zip(bodies, goods[len(elements) + 1 :], strict=True):  # a bad response, then a good one: the flow goes on
        script += [entry.whole_body, array(good)]
        passing.append(good)
        reasons.append(entry.expected)
    verdicts = ingest(script, regions, tmp_path)
    published = [verdict.key for verdict in verdicts if verdict.reason == ACCEPTED]
    assert published == [json.loads(text)["id"].encode() for text in passing]
    assert [verdict.reason for verdict in verdicts if verdict.reason != ACCEPTED] == reasons


def test_the_job_keeps_every_good_reading_among_all_bad_kinds(regions: RegionIndex) -> None:
    entries = [entry for entry in CATALOGUE if "job" in entry.stages]
    inputs, passing, reasons = mixed(entries, good_readings(len(entries) + 1))
    verdicts = job(inputs, regions)
    assert len(verdicts) == len(inputs)
    published = [verdict.key for verdict in verdicts if verdict.reason == ACCEPTED]
    assert published == [json.loads(text)["id"].encode() for text in passing]
    assert [verdict.reason for verdict in verdicts if verdict.reason != ACCEPTED] == reasons


def test_an_exact_duplicate_counts_once(regions: RegionIndex) -> None:
    """Both copies parse to equal versions, which the versions step (JVM) judges a duplicate."""
    [duplicate] = [entry for entry in CATALOGUE if entry.kind == "exact_duplicate"]
    message = duplicate.message or b""
    parsed = job_parse([message, message], [epoch_ms_of(JUDGED_AT)] * 2, regions, JUDGED_AT)
    versions = job_functions().versions
    first, second = (
        versions.Version(row["event_ms"], row["lat"], row["lon"], row["temperature"], row["region"]) for row in parsed.rows
    )
    rules = versions.VersionRules(3 * HOUR_MS, 3 * HOUR_MS + 30_000)
    assert rules.judge(None, first, versions.VersionRules.NO_WATERMARK).name() == "NEW"
    assert rules.judge(first, second, versions.VersionRules.NO_WATERMARK).name() == "DUPLICATE"
