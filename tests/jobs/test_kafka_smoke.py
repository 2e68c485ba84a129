"""The smoke job's pipeline builds in a local table environment (the same code ``flink run`` runs)."""

from __future__ import annotations

from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs.kafka_smoke import build_pipeline, kafka_raw_source_ddl
from jobs.submit import connector_jar


def test_source_reads_raw_bytes_from_the_earliest_offset() -> None:
    ddl = kafka_raw_source_ddl("t", "topic-a", "h:1", "g")
    assert "'topic' = 'topic-a'" in ddl and "'format' = 'raw'" in ddl
    assert "'scan.startup.mode' = 'earliest-offset'" in ddl


def test_pipeline_declares_source_and_sink() -> None:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("pipeline.jars", connector_jar().as_uri())
    build_pipeline(t_env, "topic-a", "127.0.0.1:9092")
    assert set(t_env.list_tables()) == {"messages", "partition_counts"}
    plan = t_env.explain_sql(
        "INSERT INTO partition_counts SELECT `partition`, COUNT(*) FROM messages GROUP BY `partition`"
    )
    assert "GroupAggregate" in plan
