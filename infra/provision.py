"""``iot-provision``: create the Kafka topics and the Cassandra schema of docs/contract.md §2.1, §4.1 (idempotent)."""

from __future__ import annotations

import argparse
import logging

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import UnknownTopicOrPartitionError

from results.schema import schema_statements
from results.session import connect
from settings import CassandraSettings, KafkaSettings, Settings, configure_logging

log = logging.getLogger("iot-provision")


def ensure_schema(settings: CassandraSettings) -> None:
    session = connect(settings)
    try:
        for statement in schema_statements(settings):
            session.execute(statement, timeout=60)
    finally:
        session.cluster.shutdown()
    log.info("cassandra schema ready in keyspace %s", settings.keyspace)


def topic_configs(settings: KafkaSettings) -> dict[str, dict[str, str]]:
    """The topic settings we rely on, by topic name (docs/contract.md §2.1).

    The readings topic stamps each record with the broker's clock as it appends it, whatever
    the producer sets: the job judges ``future_timestamp`` by that stamp, so no producer's
    clock decides what is in the future, and a replay of the topic reads the same stamps.
    """
    return {
        settings.readings_topic: {"message.timestamp.type": "LogAppendTime"},
        # The latest record of each (hour, region) is the row: compaction keeps it forever, and a
        # tombstone (a deleted row) for a day, so a consumer that reads from the start sees it.
        settings.results_topic: {"cleanup.policy": "compact", "delete.retention.ms": str(24 * 3600 * 1000)},
    }


def ensure_topics(settings: KafkaSettings, topics: tuple[str, ...] | None = None) -> list[str]:
    """Create the missing topics and give every one its ``topic_configs``; returns the names it created."""
    wanted = topics or settings.topics
    configs = topic_configs(settings)
    admin = KafkaAdminClient(client_id="iot-provision", **settings.client_options())
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        if missing:
            admin.create_topics([
                NewTopic(name, settings.partitions, settings.replication_factor, topic_configs=configs.get(name, {}))
                for name in missing
            ])
        # Topics created before a setting existed get it too (an incremental change: others stay).
        present = [ConfigResource(ConfigResourceType.TOPIC, name, configs=configs[name])
                   for name in wanted if name not in missing and name in configs]
        if present:
            outcomes = admin.alter_configs(present).get("topic", {})
            failed = {name: outcome for name, outcome in outcomes.items() if outcome != "OK"}
            if failed:
                raise RuntimeError(f"cannot set the topic settings {configs}: {failed}")
    finally:
        admin.close()
    log.info("kafka topics ready: %s (created %s)", ", ".join(wanted), ", ".join(missing) or "none")
    return missing


def delete_topics(settings: KafkaSettings, topics: list[str]) -> None:
    """Delete ``topics``, those already gone included (one at a time, so one missing stops none)."""
    admin = KafkaAdminClient(client_id="iot-provision", **settings.client_options())
    try:
        for topic in topics:
            try:
                admin.delete_topics([topic])
            except UnknownTopicOrPartitionError:
                pass
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iot-provision", description=__doc__)
    parser.add_argument("--skip-kafka", action="store_true", help="do not create the topics")
    parser.add_argument("--skip-cassandra", action="store_true", help="do not create the schema")
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings.from_env()
    if not args.skip_kafka:
        ensure_topics(settings.kafka)
    if not args.skip_cassandra:
        ensure_schema(settings.cassandra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
