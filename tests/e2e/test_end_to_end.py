"""The whole pipeline on the real services, against the oracle, at parallelism 1 and 2.

Messages go to Kafka, the job runs on the local Flink cluster (``flink run``), and after each
phase both Cassandra tables must equal the oracle's rows (counts equal, means within 1e-9),
the late topic must hold exactly the too-late readings and the rejected topic exactly the
broken messages, with their reasons; at the end the results topic mirrors the tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from testkit.pipeline_run import PipelineRun
from tests.support.dataset import build
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, assert_dataset_end_to_end

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_tables_and_dead_letters_equal_the_oracle(run: PipelineRun, parallelism: int) -> None:
    run.submit(parallelism=parallelism, overrides=REMEMBER_IDS_ALL_RUN)
    assert_dataset_end_to_end(run, build(datetime.now(UTC)))
