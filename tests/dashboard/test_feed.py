"""The Kafka feed with a fake consumer: what it asks Kafka, and how it lives through an outage."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, NamedTuple

import pytest
from kafka.errors import KafkaConnectionError

from dashboard import feed as feed_module
from dashboard.feed import KafkaResultsFeed, Record
from settings import KafkaSettings

pytestmark = pytest.mark.timeout(30)


class ConsumerRecord(NamedTuple):
    key: bytes | None
    value: bytes | None


class FakeConsumer:
    """Partitions of one topic, and the batches its polls return (then nothing)."""

    def __init__(self, partitions: set[int], batches: list[dict[Any, list[ConsumerRecord]]]) -> None:
        self.partitions, self.batches = partitions, list(batches)
        self.assigned: list[Any] = []
        self.from_beginning: tuple[Any, ...] = ()
        self.closed = False

    def partitions_for_topic(self, topic: str) -> set[int]:
        self.topic = topic
        return self.partitions

    def assign(self, partitions: list[Any]) -> None:
        self.assigned = partitions

    def seek_to_beginning(self, *partitions: Any) -> None:
        self.from_beginning = partitions

    def poll(self, timeout_ms: int) -> dict[Any, list[ConsumerRecord]]:
        if self.batches:
            return self.batches.pop(0)
        time.sleep(timeout_ms / 1000)
        return {}

    def close(self) -> None:
        self.closed = True


class Collected:
    def __init__(self, expected: int) -> None:
        self.records: list[Record] = []
        self.expected = expected
        self.enough = threading.Event()

    def __call__(self, records: list[Record]) -> None:
        self.records += records
        if len(self.records) >= self.expected:
            self.enough.set()


def consumers(*made: Any) -> Any:
    """A consumer factory that returns (or raises) each of ``made`` in turn."""
    queue = list(made)

    def new_consumer() -> Any:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return new_consumer


def test_the_feed_reads_every_partition_of_the_results_topic_from_the_beginning() -> None:
    batches = [{0: [ConsumerRecord(b"k1", b"v1")], 1: [ConsumerRecord(b"k2", None)]}, {}, {0: [ConsumerRecord(b"k3", b"v3")]}]
    consumer = FakeConsumer({1, 0}, batches)
    feed = KafkaResultsFeed(KafkaSettings(results_topic="results.here"), new_consumer=consumers(consumer))
    collected = Collected(3)
    feed.start(collected)
    assert collected.enough.wait(10)
    feed.stop()
    assert consumer.topic == "results.here"
    assert [(tp.topic, tp.partition) for tp in consumer.assigned] == [("results.here", 0), ("results.here", 1)]
    assert list(consumer.from_beginning) == consumer.assigned
    assert collected.records == [(b"k1", b"v1"), (b"k2", None), (b"k3", b"v3")]
    assert consumer.closed


def test_kafka_down_or_the_topic_missing_is_waited_out_then_read(monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    monkeypatch.setattr(feed_module, "RETRY_SECONDS", 0.01)
    no_topic = FakeConsumer(set(), [])
    ready = FakeConsumer({0}, [{0: [ConsumerRecord(b"k", b"v")]}])
    feed = KafkaResultsFeed(KafkaSettings(), new_consumer=consumers(KafkaConnectionError(), no_topic, ready))
    collected = Collected(1)
    with caplog.at_level(logging.WARNING, logger="dashboard.feed"):
        feed.start(collected)
        assert collected.enough.wait(10)
        feed.stop()
    assert no_topic.closed and ready.closed
    messages = [record.getMessage() for record in caplog.records]
    assert any("failed (KafkaConnectionError" in message for message in messages), messages
    assert any("does not exist" in message for message in messages), messages


@pytest.mark.parametrize(("read_committed", "isolation"), [(False, "read_uncommitted"), (True, "read_committed")])
def test_the_consumer_has_no_group_commits_nothing_and_reads_as_configured(
    monkeypatch: pytest.MonkeyPatch, read_committed: bool, isolation: str
) -> None:
    import kafka

    made: list[dict[str, Any]] = []

    def recording_consumer(**options: Any) -> FakeConsumer:
        made.append(options)
        return FakeConsumer({0}, [{0: [ConsumerRecord(b"k", b"v")]}])

    monkeypatch.setattr(kafka, "KafkaConsumer", recording_consumer)
    feed = KafkaResultsFeed(KafkaSettings(bootstrap_servers="kafka-1:9092,kafka-2:9092"), read_committed)
    collected = Collected(1)
    feed.start(collected)
    assert collected.enough.wait(10)
    feed.stop()
    assert made[0]["group_id"] is None and made[0]["enable_auto_commit"] is False
    assert made[0]["isolation_level"] == isolation
    assert made[0]["bootstrap_servers"] == ["kafka-1:9092", "kafka-2:9092"]
