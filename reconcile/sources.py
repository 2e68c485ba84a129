"""Read one run for a reconciliation: the three topics from Kafka, both result tables from Cassandra.

A whole run reads the topics from their first offsets and the whole tables. Some hours read only
the Kafka time that decides them (``reconcile.window``) and only their rows, so the cost follows
the hours asked, not the topics' size; the rejected topic, whose records have no hour, is not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kafka.errors import KafkaError

from geo import REGION_NAMES
from infra.topic_reader import MissingTopic, read_partitions
from oracle import SentMessage
from readings.regions import RegionLookup
from readings.timestamps import utc_text_of_ms
from reconcile.accounting import Reconciliation, reconcile
from reconcile.window import KafkaWindow, kafka_window
from results.reads import WHOLE_TABLE_COLUMNS, WholeTables, read_whole_tables, split_hours
from results.rows import ResultRow
from results.session import CASSANDRA_ERRORS, connect
from results.tables import HISTORY_TABLE, HOURLY_TABLE
from settings import CassandraSettings, KafkaSettings, Settings, values

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
    # Per table, the epoch milliseconds of rows whose hour no datetime holds.
    unshowable_hours: dict[str, list[int]] = field(default_factory=dict)


def json_object(value: bytes | None) -> dict[str, Any]:
    """A dead-letter value; one that is not a JSON object reads as ``{}`` and is reported as unreadable."""
    try:
        decoded = json.loads(value or b"")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def read_messages(kafka: KafkaSettings, window: KafkaWindow | None = None) -> list[SentMessage]:
    """The readings topic (or its ``window``), partition after partition in offset order, judged at
    each record's broker timestamp."""
    return [
        SentMessage(record.value or b"", record.timestamp, record.partition)
        for records in read_partitions(kafka, kafka.readings_topic, **window_bounds(window))
        for record in records
    ]


def read_dead_letters(kafka: KafkaSettings, topic: str, window: KafkaWindow | None = None) -> list[dict[str, Any]]:
    return [
        json_object(record.value)
        for records in read_partitions(kafka, topic, **window_bounds(window))
        for record in records
    ]


def window_bounds(window: KafkaWindow | None) -> dict[str, int]:
    return window._asdict() if window else {}


def read_tables(cassandra: CassandraSettings, hours: list[datetime] | None = None) -> WholeTables:
    """Every row of both result tables (or of ``hours``), and apart the hours no datetime holds."""
    session = connect(cassandra)
    try:
        return read_hours(session, cassandra.keyspace, hours) if hours else read_whole_tables(session, cassandra.keyspace)
    finally:
        session.cluster.shutdown()


def read_hours(session: Any, keyspace: str, hours: list[datetime]) -> WholeTables:
    """The rows of ``hours`` (consecutive) in both tables: one partition per hour in the first,
    one slice of each region's partition in the second."""
    keyspace = values.keyspace_name(keyspace)
    by_hour = session.prepare(f"SELECT {WHOLE_TABLE_COLUMNS} FROM {keyspace}.{HOURLY_TABLE} WHERE hour = ?")
    by_region = session.prepare(
        f"SELECT {WHOLE_TABLE_COLUMNS} FROM {keyspace}.{HISTORY_TABLE} WHERE region = ? AND hour >= ? AND hour <= ?"
    )
    hourly = [session.execute_async(by_hour, (hour,)) for hour in hours]
    history = [session.execute_async(by_region, (region, hours[0], hours[-1])) for region in REGION_NAMES]
    whole = WholeTables({}, {})
    for table, futures in ((HOURLY_TABLE, hourly), (HISTORY_TABLE, history)):
        whole.rows[table], whole.unshowable_hours[table] = split_hours(row for future in futures for row in future.result())
    return whole


def read_run(settings: Settings, hours: list[datetime] | None = None) -> RunRecords:
    """The topics first, then the tables: read on a quiet pipeline, both describe the same messages.

    With ``hours`` (consecutive, in order), only the Kafka window that decides them and their rows.
    """
    kafka, cassandra = settings.kafka, settings.cassandra
    window = kafka_window(hours[0], hours[-1], settings.rules, settings.job) if hours else None
    try:
        messages = read_messages(kafka, window)
        rejected = [] if hours else read_dead_letters(kafka, kafka.rejected_topic)
        late = read_dead_letters(kafka, kafka.late_topic, window)
    except KAFKA_ERRORS as error:
        raise Unreadable(f"cannot read the topics from Kafka at {kafka.bootstrap_servers}: {error}") from error
    try:
        tables, unshowable = read_tables(cassandra, hours)
    except CASSANDRA_ERRORS as error:
        raise Unreadable(
            f"cannot read keyspace {cassandra.keyspace} from Cassandra at {cassandra.host}:{cassandra.port}: {error}"
        ) from error
    return RunRecords(messages, rejected, late, tables, unshowable)


def reconcile_run(
    settings: Settings, regions: RegionLookup | None = None, hours: list[datetime] | None = None
) -> Reconciliation:
    """Read the run named by ``settings`` (only ``hours``, when given) and account for it; raises ``Unreadable``."""
    run = read_run(settings, hours)
    report = reconcile(run.messages, run.rejected, run.late, run.tables, settings.rules, regions)
    report = replace(report, problems=report.problems + unshowable_problems(run.unshowable_hours))
    return report.for_hours(set(hours)) if hours else report


def unshowable_problems(hours_by_table: dict[str, list[int]]) -> tuple[str, ...]:
    """One problem per table holding rows at hours no accepted reading can have."""
    return tuple(
        f"{table}: {len(hours)} rows at hours outside the years 1 to 9999 (first {utc_text_of_ms(min(hours))}), "
        "which no reading in the accepted range can have"
        for table, hours in hours_by_table.items()
        if hours
    )
