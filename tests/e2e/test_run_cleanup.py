"""A run removes what it made (``PipelineRun.drop``, which every end-to-end test and benchmark ends
with): the cluster keeps a cancelled job's checkpoints, and a day of benchmarks left runs' topics,
checkpoints and savepoints filling the machine's disk."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from kafka.admin import KafkaAdminClient

from results.session import connect
from settings import Settings
from testkit.pipeline_run import CHECKPOINTS, PipelineRun
from testkit.waiting import wait_for

pytestmark = [pytest.mark.services]


def topics_of(run: PipelineRun) -> set[str]:
    admin = KafkaAdminClient(client_id="test-run-cleanup", **run.settings.kafka.client_options())
    try:
        return set(admin.list_topics()) & set(run.settings.kafka.topics)
    finally:
        admin.close()


def keyspace_exists(run: PipelineRun) -> bool:
    session = connect(run.settings.cassandra)
    try:
        return run.settings.cassandra.keyspace in session.cluster.metadata.keyspaces
    finally:
        session.cluster.shutdown()


def test_a_dropped_run_leaves_no_topic_keyspace_checkpoint_or_savepoint(stack: Settings) -> None:
    run = PipelineRun.create("drop")
    try:
        cancelled = run.submit(1)
        wait_for("a checkpoint", lambda: list((CHECKPOINTS / cancelled).glob("chk-*")), bool, 60)
        run.cancel()
        stopped = run.submit(1)
        savepoint = Path(urlparse(run.stop_with_savepoint()).path)
        assert (CHECKPOINTS / cancelled).is_dir() and savepoint.is_dir(), "the cluster kept nothing to remove"
        assert topics_of(run) and keyspace_exists(run)
    finally:
        run.cancel()
        run.drop()
    assert run.job_ids == [cancelled, stopped]
    assert not (CHECKPOINTS / cancelled).exists() and not (CHECKPOINTS / stopped).exists() and not savepoint.exists()
    assert not keyspace_exists(run)
    wait_for("the run's topics to be deleted", lambda: topics_of(run), lambda left: not left, 30)
