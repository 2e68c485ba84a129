"""A TaskManager killed -9 while the job archives: the archive still holds every message of the
readings topic exactly once (files not committed by a checkpoint are discarded and their messages
written again from the checkpoint's offsets)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.archive.coordinates import archive_coordinates, topic_coordinates
from tests.faults.test_job_faults import await_checkpoint, await_new_taskmanager, kill_taskmanager, segments
from tests.support.dataset import build

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.faults]


def test_taskmanager_killed_while_archiving_loses_and_duplicates_nothing(run: PipelineRun) -> None:
    run.submit(parallelism=2)
    first, *rest = segments(build(datetime.now(UTC)).phase_a, 4)
    run.produce(first)
    for part in rest:
        await_checkpoint(run)
        run.produce(part)
        kill_taskmanager()  # right after the send: part of it is in files no checkpoint committed yet
        await_new_taskmanager()
    await_checkpoint(run)
    expected = topic_coordinates(run)
    found = wait_for("the archive to hold the topic", lambda: archive_coordinates(run),
                     lambda rows: len(rows) >= len(expected), 180)  # fmt: skip
    assert found == expected
