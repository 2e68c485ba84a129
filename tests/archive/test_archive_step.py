"""The job's archive step on its own: messages as the source gives them, into Parquet files of a local
mini-cluster's run, partitioned by UTC event hour whatever the session's time zone. (Exactly once
with checkpoints is the streaming job's: tests/archive/test_archive_end_to_end.py.)"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs import hourly_region_means as job
from jobs.submit import connector_classpath
from settings import ArchiveSettings, Settings

# (payload, Kafka partition, offset, Kafka timestamp ms, event time ms: 0 when it has none)
MESSAGES = [
    (b'{"id": "a"}', 0, 0, 1_764_947_716_789, 1_764_947_700_000),  # 2025-12-05T15:15 UTC
    (b'{"id": "b"}', 1, 0, 1_764_947_716_790, 1_764_943_199_999),  # 13:59:59.999, the hour before
    (b"\xff not json", 1, 1, 1_764_947_716_791, 0),  # no event time: the hour 'none'
    (b'{"id": "a"}', 0, 1, 1_764_951_000_000, 1_764_950_400_000),  # 16:00:00.000 exactly
]


def source_view(t_env: TableEnvironment) -> None:
    """``sensor_readings`` with the columns the Kafka source gives the archive step."""
    rows = ", ".join(
        f"(X'{payload.hex()}', {partition}, CAST({offset} AS BIGINT), {kafka_ms}, {event_ms})"
        for payload, partition, offset, kafka_ms, event_ms in MESSAGES
    )
    t_env.execute_sql(
        f"CREATE TEMPORARY VIEW {job.SOURCE} AS SELECT CAST(p AS BYTES) AS payload, k AS kafka_partition, "
        f"o AS kafka_offset, TO_TIMESTAMP_LTZ(t, 3) AS kafka_timestamp, TO_TIMESTAMP_LTZ(e, 3) AS event_time "
        f"FROM (VALUES {rows}) AS v(p, k, o, t, e)"
    )


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive directory after a run over MESSAGES, in a Paris session, with the jars ``iot-submit`` ships."""
    root = tmp_path_factory.mktemp("archive")
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("table.local-time-zone", "Europe/Paris")
    t_env.get_config().set("pipeline.classpaths", ";".join(connector_classpath()))
    source_view(t_env)
    settings = Settings(archive=ArchiveSettings(path=str(root)))
    statements = t_env.create_statement_set()
    statements.add_insert(job.ARCHIVE, job.archive(t_env, settings))
    statements.execute().wait()
    return root


def test_every_message_is_archived_once_with_its_kafka_coordinates(archived: Path) -> None:
    rows = pq.read_table(archived).to_pylist()
    found = sorted((row["payload"], row["kafka_partition"], row["kafka_offset"],
                    int(row["kafka_timestamp"].replace(tzinfo=UTC).timestamp() * 1000)) for row in rows)  # fmt: skip
    assert found == sorted(message[:4] for message in MESSAGES)


def test_files_are_partitioned_by_utc_event_hour_and_unreadable_times_by_none(archived: Path) -> None:
    partitions = sorted(path.name for path in archived.iterdir() if path.is_dir())
    assert partitions == ["event_hour=2025-12-05T13", "event_hour=2025-12-05T15", "event_hour=2025-12-05T16", "event_hour=none"]
    in_none = pq.read_table(archived / "event_hour=none").column("payload").to_pylist()
    assert in_none == [b"\xff not json"]


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
