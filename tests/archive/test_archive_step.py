"""The job's archive sink on its own: messages as the partition watermark step gives them (their
UTC event hour there: tests/udfs/test_partition_watermark.py), into Parquet files of a local
mini-cluster's run, partitioned by that hour. (Exactly once with checkpoints is the streaming
job's: tests/archive/test_archive_end_to_end.py.)"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyflink.table import EnvironmentSettings, Table, TableEnvironment

from jobs import hourly_region_means as job
from jobs.submit import connector_classpath
from settings import ArchiveSettings, Settings

# (payload, Kafka partition, offset, Kafka timestamp ms, UTC event hour)
MESSAGES = [
    (b'{"id": "a"}', 0, 0, 1_764_947_716_789, "2025-12-05T15"),
    (b'{"id": "b"}', 1, 0, 1_764_947_716_790, "2025-12-05T13"),
    (b"\xff not json", 1, 1, 1_764_947_716_791, "none"),  # no readable event time
    (b'{"id": "a"}', 0, 1, 1_764_951_000_000, "2025-12-05T16"),
]


def archived_messages(t_env: TableEnvironment) -> Table:
    """MESSAGES with the columns the partition watermark step gives the archive."""
    rows = ", ".join(
        f"(X'{payload.hex()}', {partition}, CAST({offset} AS BIGINT), {kafka_ms}, '{hour}')"
        for payload, partition, offset, kafka_ms, hour in MESSAGES
    )
    return t_env.sql_query(
        f"SELECT k AS kafka_partition, o AS kafka_offset, TO_TIMESTAMP_LTZ(t, 3) AS kafka_timestamp, "
        f"CAST(p AS BYTES) AS payload, h AS event_hour FROM (VALUES {rows}) AS v(p, k, o, t, h)"
    )


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive directory after a run over MESSAGES, in a Paris session, with the jars ``iot-submit`` ships."""
    root = tmp_path_factory.mktemp("archive")
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("table.local-time-zone", "Europe/Paris")
    t_env.get_config().set("pipeline.classpaths", ";".join(connector_classpath()))
    settings = Settings(archive=ArchiveSettings(path=str(root)))
    statements = t_env.create_statement_set()
    statements.add_insert(job.archive_sink(t_env, settings), archived_messages(t_env))
    statements.execute().wait()
    return root


def test_every_message_is_archived_once_with_its_kafka_coordinates(archived: Path) -> None:
    rows = pq.read_table(archived).to_pylist()
    found = sorted((row["payload"], row["kafka_partition"], row["kafka_offset"],
                    int(row["kafka_timestamp"].replace(tzinfo=UTC).timestamp() * 1000)) for row in rows)  # fmt: skip
    assert found == sorted(message[:4] for message in MESSAGES)


def test_kafka_timestamps_are_int64_milliseconds(archived: Path) -> None:
    """Not Flink's default INT96, whose conversion cost the job a fifth of its Parquet work."""
    for path in archived.rglob("part-*"):
        column = pq.ParquetFile(path).schema.column(2)
        assert (column.name, column.physical_type) == ("kafka_timestamp", "INT64"), path
        assert "timeUnit=milliseconds" in str(column.logical_type), column.logical_type


def test_files_are_partitioned_by_event_hour(archived: Path) -> None:
    partitions = sorted(path.name for path in archived.iterdir() if path.is_dir())
    assert partitions == ["event_hour=2025-12-05T13", "event_hour=2025-12-05T15", "event_hour=2025-12-05T16", "event_hour=none"]
    in_none = pq.read_table(archived / "event_hour=none").column("payload").to_pylist()
    assert in_none == [b"\xff not json"]


def test_pages_stay_small_and_without_dictionary(archived: Path) -> None:
    """The writer's direct memory is a page and its compressed copy (job.ARCHIVE_PAGE_BYTES)."""
    for path in archived.rglob("part-*"):
        metadata = pq.ParquetFile(path).metadata
        columns = [metadata.row_group(group).column(column) for group in range(metadata.num_row_groups)
                   for column in range(metadata.num_columns)]
        assert columns and not any(column.has_dictionary_page for column in columns), path


def test_no_file_is_left_in_progress(archived: Path) -> None:
    hidden = [path for path in archived.rglob(".*") if path.is_file()]
    assert hidden == [] and len(list(archived.rglob("part-*"))) >= 4


def test_a_local_path_becomes_an_absolute_file_uri_and_a_bucket_stays_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert job.archive_uri(ArchiveSettings(path="var/archive")) == (tmp_path / "var" / "archive").as_uri()
    assert job.archive_uri(ArchiveSettings(path="gs://iot-archive/readings")) == "gs://iot-archive/readings"
    assert "'gs://b/it''s'" in job.archive_sink_ddl(ArchiveSettings(path="gs://b/it's"))
