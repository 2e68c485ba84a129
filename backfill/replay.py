"""The replay: archived messages back into a scratch topic, each in its own partition, in offset
order, with its original Kafka timestamp.

The scratch topic stamps ``CreateTime`` (the producer's timestamp, here the original one) where
the readings topic stamps ``LogAppendTime``: the job judges ``future_timestamp`` by that stamp, so
the replay must carry it. It keeps its messages forever (``retention.ms`` -1) because they are
older than any retention: a 7-day retention would delete them as soon as they are written. The
archive holds no Kafka key (the job reads only the value) and the partition is given, so the
messages go without one.
"""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from settings import KafkaSettings

log = logging.getLogger("iot-backfill")

SCRATCH_TOPIC_CONFIG = {"message.timestamp.type": "CreateTime", "retention.ms": "-1"}


def scratch_partitions(messages: pa.Table, kafka: KafkaSettings) -> int:
    """As many partitions as the readings topic has (the message's own one must exist)."""
    highest = max(messages["kafka_partition"].to_pylist(), default=-1)
    return max(kafka.partitions, highest + 1)


def create_scratch_topics(kafka: KafkaSettings, readings_topic: str, other_topics: list[str], partitions: int) -> None:
    """The readings topic of the replay (CreateTime, kept forever) and the job's other topics."""
    admin = KafkaAdminClient(client_id="iot-backfill", **kafka.client_options())
    try:
        admin.create_topics([NewTopic(readings_topic, partitions, kafka.replication_factor, topic_configs=SCRATCH_TOPIC_CONFIG),
                             *[NewTopic(name, kafka.partitions, kafka.replication_factor) for name in other_topics]])
    finally:
        admin.close()


class ReplayFailed(RuntimeError):
    """The broker refused some of the replayed messages: the scratch topic is incomplete."""


def replay(messages: pa.Table, kafka: KafkaSettings, topic: str) -> int:
    """Send ``messages`` (archive rows in Kafka order) to ``topic``, one at a time in flight per
    connection so that retries keep the order; returns how many went; ReplayFailed if any did not."""
    producer = KafkaProducer(acks="all", linger_ms=20, batch_size=1 << 20, max_in_flight_requests_per_connection=1,
                             **kafka.client_options())
    failures: list[Exception] = []
    stamps_ms = pc.cast(pc.cast(messages["kafka_timestamp"], pa.timestamp("ms"), safe=False), pa.int64())
    try:
        for partition, stamp_ms, payload in zip(messages["kafka_partition"].to_pylist(), stamps_ms.to_pylist(),
                                                messages["payload"].to_pylist(), strict=True):
            producer.send(topic, value=payload, partition=partition, timestamp_ms=stamp_ms).add_errback(failures.append)
        producer.flush(timeout=300)
    finally:
        producer.close()
    if failures:
        raise ReplayFailed(f"{len(failures)} of {messages.num_rows} messages not replayed into {topic}: {failures[0]}")
    log.info("replayed %d archived messages into %s", messages.num_rows, topic)
    return messages.num_rows
