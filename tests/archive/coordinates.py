"""Messages as (Kafka partition, offset, timestamp ms, value): in the readings topic, and in the archive."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.reads import archived_messages
from infra.topic_reader import read_partitions
from testkit.pipeline_run import PipelineRun

Coordinates = tuple[int, int, int, bytes]


def topic_coordinates(run: PipelineRun) -> list[Coordinates]:
    kafka = run.settings.kafka
    return sorted((record.partition, record.offset, record.timestamp, record.value or b"")
                  for records in read_partitions(kafka, kafka.readings_topic) for record in records)  # fmt: skip


def archive_coordinates(run: PipelineRun) -> list[Coordinates]:
    table = archived_messages(run.settings.archive.path).to_pylist()
    return sorted((row["kafka_partition"], row["kafka_offset"], epoch_ms_of(row["kafka_timestamp"]), row["payload"])
                  for row in table)  # fmt: skip


def epoch_ms_of(naive_utc: datetime) -> int:
    """Parquet's timestamps come back naive, in UTC."""
    return int(naive_utc.replace(tzinfo=UTC).timestamp() * 1000)
