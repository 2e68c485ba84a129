"""A minimal streaming job that proves the cluster end to end: Kafka connector, Python, checkpoints.

It counts the messages of a topic per partition into a blackhole sink; submitted with
``iot-submit --job smoke`` it shows in the dashboard and completes checkpoints like the real job.
"""

from __future__ import annotations

import argparse

from pyflink.table import EnvironmentSettings, TableEnvironment

from settings import Settings


def kafka_raw_source_ddl(table: str, topic: str, bootstrap_servers: str, group_id: str) -> str:
    return f"""
        CREATE TABLE {table} (
          `partition` INT METADATA VIRTUAL,
          payload BYTES
        ) WITH (
          'connector' = 'kafka',
          'topic' = '{topic}',
          'properties.bootstrap.servers' = '{bootstrap_servers}',
          'properties.group.id' = '{group_id}',
          'scan.startup.mode' = 'earliest-offset',
          'format' = 'raw'
        )"""


def build_pipeline(t_env: TableEnvironment, topic: str, bootstrap_servers: str) -> None:
    t_env.execute_sql(kafka_raw_source_ddl("messages", topic, bootstrap_servers, "iot-smoke"))
    t_env.execute_sql(
        "CREATE TABLE partition_counts (`partition` INT, messages BIGINT) WITH ('connector' = 'blackhole')"
    )


def main(argv: list[str] | None = None) -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topic", default=settings.kafka.readings_topic)
    parser.add_argument("--bootstrap-servers", default=settings.kafka.bootstrap_servers)
    args = parser.parse_args(argv)
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("pipeline.name", f"iot-smoke: count {args.topic}")
    build_pipeline(t_env, args.topic, args.bootstrap_servers)
    t_env.execute_sql(
        "INSERT INTO partition_counts SELECT `partition`, COUNT(*) FROM messages GROUP BY `partition`"
    )


if __name__ == "__main__":
    main()
