"""Messages built to break the job do not stop it, and cost no good reading (issue 13).

Before the records were bounded, 200,000 bytes of ``\\x01`` made a ``malformed_json`` record of
1.2 MB once escaped, over the sink producer's 1 MiB ``max.request.size``: the job restarted on it
forever and never counted the reading after it. Here every poison shape goes to
``sensor.readings`` between good readings; the job must keep RUNNING with no restart, each poison
must land in the rejected topic with its reason in a record that fits, and the good readings
must be counted exactly (the oracle, the dead letters and ``iot-reconcile`` agree).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from kafka import KafkaProducer

from infra.topic_reader import read_partitions
from oracle import SentMessage
from readings import Reason
from readings.rejected import MAX_RECORD_BYTES
from testkit.pipeline_run import PipelineRun
from tests.support.dataset import reading
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, Record, assert_exact

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.faults]

RENNES = (48.11, -1.68)
LOG_APPEND_TIME = 1  # ConsumerRecord.timestamp_type


class Poison(NamedTuple):
    name: str
    value: bytes
    reason: Reason
    truncated: bool  # its rejected record is too large whole, so it must be cut
    key: bytes | None = None  # the Kafka key it is produced with


def reading_with(taken_at: datetime, **fields: object) -> bytes:
    body = {"id": "poison", "timestamp": f"{taken_at:%Y-%m-%d %H:%M:%S}", "lat": RENNES[0], "lon": RENNES[1],
            "temperature": 9.5, **fields}
    return json.dumps(body).encode()


def poisons(taken_at: datetime) -> list[Poison]:
    """The shapes of issue 13, then others that stretch a record the same ways."""
    repeated_key = "k" * 1_500_000
    return [
        Poison("control_bytes", b"\x01" * 200_000, Reason.MALFORMED_JSON, True),
        Poison("quotes", b'"' * 600_000, Reason.MALFORMED_JSON, True),
        Poison("timestamp_3mb", reading_with(taken_at, id="ts-3mb", timestamp="2" * 3_000_000), Reason.INVALID_TIMESTAMP, True),
        Poison("kafka_key_3mb", b'{"id": "kafka-key-3mb", ', Reason.MALFORMED_JSON, False, key=b"k" * 3_000_000),
        Poison("json_key_3mb", ('{"id": "json-key-3mb", "' + repeated_key + '": 1, "' + repeated_key + '": 2}').encode(),
               Reason.DUPLICATE_KEY, True),
        Poison("id_900kb", reading_with(taken_at, id="i" * 900_000), Reason.INVALID_ID, False),
        # Ours: every byte escaped twice or more, encodings, nesting, times out of range, many keys.
        Poison("backslashes", json.dumps("\\" * 400_000).encode(), Reason.NOT_AN_OBJECT, True),
        Poison("not_utf8", b"\xff" * 700_000, Reason.INVALID_ENCODING, True),
        Poison("escaped_surrogates", reading_with(taken_at, id="surrogates", temperature="\ud800" * 200_000),
               Reason.INVALID_TYPE, True),
        Poison("deep_nesting", b"[" * 100_000 + b"]" * 100_000, Reason.MALFORMED_JSON, False),
        Poison("many_repeated_keys", ("{" + ", ".join(f'"k{n}": 1, "k{n}": 2' for n in range(20_000)) + "}").encode(),
               Reason.DUPLICATE_KEY, False),
        Poison("year_one", reading_with(taken_at, id="year-one", timestamp="0001-01-01T00:00:00+01:00"),
               Reason.INVALID_TIMESTAMP, False),
        Poison("before_the_earliest_year", reading_with(taken_at, id="y1999", timestamp="1999-12-31 23:59:59"),
               Reason.INVALID_TIMESTAMP, False),
        Poison("a_day_ahead", reading_with(taken_at + timedelta(days=1), id="ahead"), Reason.FUTURE_TIMESTAMP, False),
    ]


def produce(run: PipelineRun, messages: list[tuple[bytes | None, bytes]]) -> list[SentMessage]:
    """Send in order with a producer that takes the 3 MB messages (the broker allows 10 MiB)."""
    producer = KafkaProducer(acks="all", max_request_size=16 * 1024 * 1024, **run.settings.kafka.client_options())
    futures = [producer.send(run.settings.kafka.readings_topic, key=key, value=value) for key, value in messages]
    producer.flush()
    metadata = [future.get(timeout=60) for future in futures]
    producer.close()
    return [SentMessage(value, meta.timestamp, meta.partition) for (_, value), meta in zip(messages, metadata, strict=True)]


def restarts(run: PipelineRun) -> int:
    [metric] = run.rest(f"/jobs/{run.job_id}/metrics?get=numRestarts")
    return int(metric["value"])


def test_poison_messages_neither_stop_the_job_nor_cost_a_good_reading(run: PipelineRun, record_property: Record) -> None:
    taken_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    shapes = poisons(taken_at)
    goods = [reading(f"good-{n:02d}", taken_at + timedelta(seconds=n), RENNES, 10.0 + n) for n in range(len(shapes) + 1)]
    # A good reading with a 900 KB field the job ignores: large, and counted.
    goods.append(reading("good-large", taken_at, RENNES, 30.0, note="n" * 900_000))
    messages: list[tuple[bytes | None, bytes]] = []
    for good, poison in zip(goods, shapes, strict=False):
        messages += [(json.loads(good)["id"].encode(), good), (poison.key, poison.value)]
    messages += [(json.loads(good)["id"].encode(), good) for good in goods[len(shapes):]]

    run.submit(parallelism=1, overrides=REMEMBER_IDS_ALL_RUN)
    sent = produce(run, messages)
    expected = assert_exact(run, sent, timeout_s=300, record=record_property)

    assert run.job_state() == "RUNNING"
    assert restarts(run) == 0
    assert run.rest(f"/jobs/{run.job_id}/exceptions")["exceptionHistory"]["entries"] == []
    record_property("job restarts", restarts(run))

    # The oracle saw each shape as intended, and every good reading is counted once.
    assert Counter(str(rejection.reason) for rejection in expected.rejected) == Counter(str(p.reason) for p in shapes)
    assert sum(row.readings for row in expected.rows) == len(goods)

    records = run.read_topic(run.settings.kafka.rejected_topic)
    assert len(records) == len(shapes)
    values = [json.loads(value) for _, value in records]
    assert all((0 if key is None else len(key)) + len(value) <= MAX_RECORD_BYTES for key, value in records)
    assert Counter(value["reason"] for value in values) == Counter(str(p.reason) for p in shapes)
    assert sum(bool(value.get("truncated")) for value in values) == sum(p.truncated for p in shapes)
    assert all(value["original_bytes"] > MAX_RECORD_BYTES for value in values if value.get("truncated"))
    record_property("largest rejected record (bytes)", max((0 if k is None else len(k)) + len(v) for k, v in records))

    # Judged by the broker's clock: the readings topic stamps the time it appends a record.
    topic = read_partitions(run.settings.kafka, run.settings.kafka.readings_topic)
    assert {record.timestamp_type for records_of_partition in topic for record in records_of_partition} == {LOG_APPEND_TIME}
