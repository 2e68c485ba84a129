"""Read one run for a reconciliation: the three topics from Kafka, both result tables from Cassandra."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from infra.cassandra_session import checked_identifier, connect
from infra.topic_reader import MissingTopic, read_partitions
from oracle import RESULT_TABLES, SentMessage
from query.cli import CASSANDRA_ERRORS
from query.result_tables import COLUMNS, ResultRow, result_row
from readings.regions import RegionLookup
from reconcile.accounting import Reconciliation, reconcile
from settings import CassandraSettings, KafkaSettings, Settings

KAFKA_ERRORS = (KafkaError, MissingTopic, TimeoutError)


class Unreadable(RuntimeError):
    """Kafka or Cassandra could not be reached or read; the message says which and where."""


@dataclass(frozen=True)
class RunRecords:
    """Everything a reconciliation looks at, as read."""

    messages: list[SentMessage]
    rejected: list[dict[str, Any]]
    late: list[dict[str, Any]]
    tables: dict[str, list[ResultRow]]


def json_object(value: bytes | None) -> dict[str, Any]:
    """A dead-letter value; one that is not a JSON object reads as ``{}`` and is reported as unreadable."""
    try:
        decoded = json.loads(value or b"")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def read_messages(kafka: KafkaSettings) -> list[SentMessage]:
    """The readings topic, partition after partition in offset order, judged at each record's broker timestamp."""
    return [
        SentMessage(record.value or b"", record.timestamp, record.partition)
        for records in read_partitions(kafka, kafka.readings_topic)
        for record in records
    ]


def read_dead_letters(kafka: KafkaSettings, topic: str) -> list[dict[str, Any]]:
    return [json_object(record.value) for records in read_partitions(kafka, topic) for record in records]


def read_tables(cassandra: CassandraSettings) -> dict[str, list[ResultRow]]:
    """Every row of both result tables (a full scan, paged by the driver: 18 rows per hour)."""
    keyspace = checked_identifier(cassandra.keyspace)
    session = connect(cassandra)
    try:
        return {
            table: [result_row(row) for row in session.execute(session.prepare(f"SELECT {COLUMNS} FROM {keyspace}.{table}"))]
            for table in RESULT_TABLES
        }
    finally:
        session.cluster.shutdown()


def read_run(settings: Settings) -> RunRecords:
    """The topics first, then the tables: read on a quiet pipeline, both describe the same messages."""
    kafka, cassandra = settings.kafka, settings.cassandra
    try:
        messages = read_messages(kafka)
        rejected = read_dead_letters(kafka, kafka.rejected_topic)
        late = read_dead_letters(kafka, kafka.late_topic)
    except KAFKA_ERRORS as error:
        raise Unreadable(f"cannot read the topics from Kafka at {kafka.bootstrap_servers}: {error}") from error
    try:
        tables = read_tables(cassandra)
    except CASSANDRA_ERRORS as error:
        raise Unreadable(
            f"cannot read keyspace {cassandra.keyspace} from Cassandra at {cassandra.host}:{cassandra.port}: {error}"
        ) from error
    return RunRecords(messages, rejected, late, tables)


def reconcile_run(settings: Settings, regions: RegionLookup | None = None) -> Reconciliation:
    """Read the run named by ``settings`` and account for it; raises ``Unreadable``."""
    run = read_run(settings)
    return reconcile(run.messages, run.rejected, run.late, run.tables, settings.rules, regions)
