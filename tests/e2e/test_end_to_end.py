"""The whole pipeline on the real services, against the oracle, at parallelism 1 and 2.

Messages go to Kafka, the job runs on the local Flink cluster (``flink run``), and after each
phase both Cassandra tables must equal the oracle's rows (counts equal, means within 1e-9),
the late topic must hold exactly the too-late readings and the rejected topic exactly the
broken messages, with their reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oracle import expected_outcome
from testkit.pipeline_run import PipelineRun
from tests.support.dataset import build
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, assert_exact, assert_tables_reach

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
