"""The whole pipeline on the real services, against the oracle, at parallelism 1 and 2.

Messages go to Kafka, the job runs on the local Flink cluster (``flink run``), and after each
phase both Cassandra tables must equal the oracle's rows (counts equal, means within 1e-9),
the late topic must hold exactly the too-late readings and the rejected topic exactly the
broken messages, with their reasons; at the end the results topic mirrors the tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oracle import expected_outcome
from results.records import record_key
from testkit.pipeline_run import PipelineRun
from tests.support.dataset import build
from tests.support.pipeline_checks import (
    REMEMBER_IDS_ALL_RUN,
    assert_exact,
    assert_results_topic_mirrors_tables,
    assert_tables_reach,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_tables_and_dead_letters_equal_the_oracle(run: PipelineRun, parallelism: int) -> None:
    data = build(datetime.now(UTC))
    run.submit(parallelism=parallelism, overrides=REMEMBER_IDS_ALL_RUN)

    sent = run.produce(data.phase_a)
    expected = expected_outcome(sent)
    assert len({row.region for row in expected.rows}) == 18
    assert_tables_reach(run, expected)

    sent += run.produce(data.phase_b)
    expected = expected_outcome(sent)
    assert len(expected.late) == 3, "the dataset's phase B holds three too-late versions"
    assert_exact(run, sent)

    created, moved = data.lonely
    sent += run.produce([created])
    assert_tables_reach(run, expected_outcome(sent))
    sent += run.produce([moved])
    expected = assert_exact(run, sent)
    assert_results_topic_mirrors_tables(run)
    gone = record_key(data.base_hour + timedelta(hours=7), "Bretagne")
    assert not any(row.hour == data.base_hour + timedelta(hours=7) and row.region == "Bretagne" for row in expected.rows)
    assert [value for key, value in run.read_topic(run.settings.kafka.results_topic) if key == gone.encode()][-1] is None
