"""The bounded run's settings and wait, the job's switches, and the writes a copy makes (no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from backfill.bounded_run import BoundedRunFailed, Scratch, wait_until_finished
from backfill.cli import change_text
from backfill.copy import changes
from backfill.replay import scratch_partitions
from jobs.hourly_region_means import kafka_source_ddl
from results.daily import DailyRow
from results.rows import ResultRow
from settings import KafkaSettings, Settings
from tests.support.fake_flink_rest import JOB_ID, FakeFlinkRest, Snapshot, running

HOUR = datetime(2026, 12, 5, 14, tzinfo=UTC)
NOW = HOUR + timedelta(hours=5)


def row(region: str, mean: float, readings: int = 3, updated_at: datetime | None = NOW) -> ResultRow:
    return ResultRow(HOUR, region, mean, readings, None, updated_at)


def test_a_copy_writes_what_differs_deletes_what_the_recomputation_lacks_and_leaves_equal_rows() -> None:
    recomputed = [row("Bretagne", 11.5), row("Normandie", 9.0), row("Corse", 15.0)]
    stored = [row("Bretagne", 11.5, updated_at=HOUR), row("Normandie", 9.25), row("Occitanie", 12.0)]
    found = changes(recomputed, stored)
    assert found.upserts == [row("Normandie", 9.0), row("Corse", 15.0)]
    assert found.deletes == ["Occitanie"]
    assert found.unchanged == 1
    assert change_text("2026-12-05 14:00", found) == "2026-12-05 14:00: 3 rows, 2 written, 1 deleted, 1 unchanged"


def test_a_copy_into_an_hour_the_tables_lost_writes_every_row_and_the_daily_rows_compare_alike() -> None:
    assert changes([row("Bretagne", 1.0)], []).upserts == [row("Bretagne", 1.0)]
    day = DailyRow(HOUR, "Bretagne", -1.0, 9.0, 4.0, 12, NOW)
    assert changes([day], [day._replace(updated_at=None)]).unchanged == 1
    assert changes([day], [day._replace(min_temperature=-2.0)]).upserts == [day]


def test_means_that_differ_in_their_last_digits_are_the_same_and_a_missing_one_is_not() -> None:
    assert changes([row("Bretagne", 0.1 + 0.2)], [row("Bretagne", 0.3)]).unchanged == 1
    assert changes([row("Bretagne", 11.5)], [row("Bretagne", 11.5001)]).upserts == [row("Bretagne", 11.5)]
    assert changes([row("Bretagne", 11.5)._replace(mean_temperature_3h_before=9.0)], [row("Bretagne", 11.5)]).upserts


def test_the_scratch_run_is_the_job_on_its_own_topics_and_keyspace_bounded_without_the_archive() -> None:
    scratch = Scratch("backfill-0123456789")
    settings = Settings.from_env(scratch.environ({"IOT_JOB_PARALLELISM": "2"}, daily=True))
    assert settings.kafka.topics == ("backfill-0123456789.readings", "backfill-0123456789.rejected",
                                     "backfill-0123456789.late", "backfill-0123456789.results")  # fmt: skip
    assert settings.cassandra.keyspace == scratch.keyspace == "backfill_0123456789"
    assert settings.job.name == settings.job.consumer_group == scratch.tag
    assert settings.job.bounded and settings.job.daily_aggregation and not settings.archive.enabled
    assert settings.job.parallelism == 2  # the rest of the environment is kept
    assert not Settings.from_env(scratch.environ({}, daily=False)).job.daily_aggregation
    assert Scratch.new().tag != Scratch.new().tag


def test_the_stream_is_unbounded_archived_and_without_the_daily_statement_by_default() -> None:
    settings = Settings.from_env({})
    assert not settings.job.bounded and settings.archive.enabled and not settings.job.daily_aggregation
    assert "scan.bounded.mode" not in kafka_source_ddl(settings.kafka, settings.job, settings.rules)
    bounded = Settings.from_env({"IOT_JOB_BOUNDED": "yes"})
    assert "'scan.bounded.mode' = 'latest-offset'," in kafka_source_ddl(bounded.kafka, bounded.job, bounded.rules)


def test_the_scratch_topic_has_every_partition_a_message_names() -> None:
    messages = pa.table({"kafka_partition": pa.array([0, 5, 2], pa.int32())})
    assert scratch_partitions(messages, KafkaSettings(partitions=4)) == 6
    assert scratch_partitions(messages.slice(0, 1), KafkaSettings(partitions=4)) == 4


def wait(script: list[Snapshot]) -> None:
    with FakeFlinkRest(script) as flink:
        wait_until_finished(f"http://{flink.address}", JOB_ID, timeout_s=0.5, every_s=0.01)


def test_the_wait_returns_when_the_job_finished_and_says_why_it_did_not() -> None:
    wait([running(), running(), Snapshot("FINISHED", {"FINISHED": 4})])
    with pytest.raises(BoundedRunFailed, match="is FAILED: java.lang.IllegalStateException: no region"):
        trace = "java.lang.IllegalStateException: no region\n\tat x"
        wait([running(), Snapshot("FAILED", {"FAILED": 1}, (("IllegalStateException", trace),))])
    with pytest.raises(BoundedRunFailed, match=r"has not finished after 0.5 s \(job RUNNING, tasks: 4 RUNNING\)"):
        wait([running()])
