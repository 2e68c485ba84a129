"""The whole pipeline on the real services, against the oracle, at parallelism 1 and 2.

Messages go to Kafka, the job runs on the local Flink cluster (``flink run``), and after each
phase both Cassandra tables must equal the oracle's rows (counts equal, means within 1e-9),
the late topic must hold exactly the too-late readings and the rejected topic exactly the
broken messages, with their reasons.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from typing import Iterator

import pytest

from infra.pipeline_run import PipelineRun, wait_for
from oracle import ExpectedOutcome, diff_tables, expected_outcome
from settings import Settings
from tests.e2e.dataset import build

pytestmark = [pytest.mark.services, pytest.mark.slow]

# The oracle never forgets an id; the job forgets one lateness + out-of-orderness after its event
# time unless told otherwise, and phase B corrects a reading older than that.
REMEMBER_IDS_ALL_RUN_S = 2 * 24 * 3600


@pytest.fixture
def run(stack: Settings) -> Iterator[PipelineRun]:
    pipeline = PipelineRun.create(stack)
    yield pipeline
    pipeline.cancel()
    pipeline.drop()


def assert_tables_reach(run: PipelineRun, expected: ExpectedOutcome, timeout_s: float = 180) -> None:
    wait_for("the tables to equal the oracle", lambda: diff_tables(expected, run.table_rows()), lambda diff: not diff, timeout_s)


def assert_dead_letters(run: PipelineRun, expected: ExpectedOutcome) -> None:
    kafka = run.settings.kafka
    late = wait_for("the late records", lambda: run.read_topic(kafka.late_topic), lambda r: len(r) >= len(expected.late), 60)
    assert sorted(json.loads(value)["id"] for _, value in late) == sorted(item.reading.id for item in expected.late)
    assert all(json.loads(value)["reason"] == "too_late" for _, value in late)
    rejected = wait_for("the rejected records", lambda: run.read_topic(kafka.rejected_topic),
                        lambda r: len(r) >= len(expected.rejected), 60)
    values = [json.loads(value) for _, value in rejected]
    assert Counter(v["reason"] for v in values) == Counter(str(r.reason) for r in expected.rejected)
    assert {v["stage"] for v in values} == {"job"}


@pytest.mark.parametrize("parallelism", [1, 2])
def test_tables_and_dead_letters_equal_the_oracle(run: PipelineRun, parallelism: int) -> None:
    data = build(datetime.now(timezone.utc))
    run.submit(parallelism=parallelism, IOT_JOB_ID_RETENTION_EXTRA_SECONDS=str(REMEMBER_IDS_ALL_RUN_S))

    sent = run.produce(data.phase_a)
    expected = expected_outcome(sent)
    assert len({row.region for row in expected.rows}) == 18
    assert_tables_reach(run, expected)

    sent += run.produce(data.phase_b)
    expected = expected_outcome(sent)
    assert len(expected.late) == 3, "the dataset's phase B holds three too-late versions"
    assert_tables_reach(run, expected)
    assert_dead_letters(run, expected)
