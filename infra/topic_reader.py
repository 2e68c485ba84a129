"""Read a topic as it stands now: every committed record up to the end offsets measured at the start,
or only those appended in a window of Kafka time (the offsets found by time, per partition).

Stopping at end offsets, not after a quiet spell, gives a definite answer on a busy topic and
a quick one on an idle topic. ``read_committed`` matters for the dead-letter topics, which the
job writes in transactions: the end offsets are then the last stable offsets, so an open
transaction is neither waited for nor read, and aborted records never show.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndTimestamp

from settings import KafkaSettings


class MissingTopic(LookupError):
    """The topic does not exist: a typo in a name, or a run that was never provisioned."""


def read_partitions(
    kafka: KafkaSettings,
    topic: str,
    timeout_s: float = 120.0,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[list[ConsumerRecord]]:
    """The committed records of each partition of ``topic`` (by partition number), in offset order.

    With ``since_ms`` / ``until_ms``, only the records from the first offset whose Kafka timestamp
    is at or after ``since_ms`` to the last before ``until_ms``: the read costs what that window
    holds, not the topic's size. Records appended while reading are left out. Raises
    ``MissingTopic``, ``TimeoutError`` when the end is not reached in ``timeout_s``, or a
    ``kafka.errors.KafkaError``.
    """
    consumer = KafkaConsumer(
        group_id=None, enable_auto_commit=False, isolation_level="read_committed", **kafka.client_options()
    )
    try:
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise MissingTopic(f"topic {topic!r} does not exist on {kafka.bootstrap_servers}")
        partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
        consumer.assign(partitions)
        end = consumer.end_offsets(partitions)
        start = consumer.beginning_offsets(partitions)
        if since_ms is not None:
            start = offsets_at(consumer.offsets_for_times(dict.fromkeys(partitions, since_ms)), end)
        if until_ms is not None:
            end = offsets_at(consumer.offsets_for_times(dict.fromkeys(partitions, until_ms)), end)
        for tp in partitions:
            consumer.seek(tp, min(start[tp], end[tp]))
        records: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in partitions}
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end offsets in {timeout_s:.0f} s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records[tp] += [record for record in batch if record.offset < end[tp]]
        return [records[tp] for tp in partitions]
    finally:
        consumer.close()


def offsets_at(
    found: Mapping[TopicPartition, OffsetAndTimestamp | None], end: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Per partition, the first offset at or after a time (``offsets_for_times``'s answer), capped
    at the end offset; a partition with no record that late answers None and starts at its end."""
    return {tp: end[tp] if (hit := found.get(tp)) is None else min(end[tp], hit.offset) for tp in end}
