"""Faults the job survives with exact results: docs/contract.md §3.7 "after a failure and a restart,
the tables end exactly as an uninterrupted run would have left them".

Each test streams the end-to-end dataset in segments, injects its fault between segments (after
a completed checkpoint, so recovery really restores state), sends the late phase last, and ends
with both tables equal to the oracle, the dead letters exact and ``iot-reconcile`` balanced.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.provision import ensure_topics
from oracle import SentMessage, expected_outcome
from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.dataset import HOUR, Dataset, build, reading
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, Record, assert_exact
from tests.support.stack_script import stack_command

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.faults]


def segments(messages: list[bytes], count: int) -> list[list[bytes]]:
    size = -(-len(messages) // count)
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def completed_checkpoints(run: PipelineRun) -> int:
    return run.rest(f"/jobs/{run.job_id}/checkpoints")["counts"]["completed"]


def await_checkpoint(run: PipelineRun, timeout_s: float = 180) -> None:
    """Wait for a checkpoint that completes from now on: the job runs and has saved what it read."""
    before = completed_checkpoints(run)
    wait_for("a completed checkpoint", lambda: completed_checkpoints(run), lambda n: n > before, timeout_s, every_s=1)


def taskmanager_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "TaskManagerRunner"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def kill_taskmanager() -> None:
    """``kill -9`` the TaskManager; the stack's watcher starts a new one, as Kubernetes would."""
    killed = taskmanager_pids()
    assert killed, "no TaskManager to kill"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    wait_for("the TaskManager to die", taskmanager_pids, lambda alive: not set(killed) & set(alive), 30, every_s=0.5)


def await_new_taskmanager() -> None:
    wait_for("the watcher to start a TaskManager", taskmanager_pids, bool, 60, every_s=0.5)


def restarted_job_exceptions(run: PipelineRun) -> list[str]:
    history = run.rest(f"/jobs/{run.job_id}/exceptions")["exceptionHistory"]["entries"]
    return [entry["exceptionName"] + ": " + (entry.get("stacktrace") or "") for entry in history]


def first_half_checkpointed(run: PipelineRun, data: Dataset, **overrides: str) -> tuple[list[SentMessage], list[bytes]]:
    """Submit at parallelism 1, send the first half of phase A, wait for a checkpoint holding it;
    returns what was sent and the second half."""
    run.submit(parallelism=1, overrides={**overrides, **REMEMBER_IDS_ALL_RUN})
    first, second = segments(data.phase_a, 2)
    sent = run.produce(first)
    await_checkpoint(run)
    return sent, second


@pytest.fixture
def data() -> Dataset:
    return build(datetime.now(UTC))


def test_taskmanager_killed_five_times(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    run.submit(parallelism=1, overrides=REMEMBER_IDS_ALL_RUN)
    first, *rest = segments(data.phase_a, 6)
    sent = run.produce(first)
    for part in rest:
        await_checkpoint(run)
        kill_taskmanager()
        sent += run.produce(part)  # while the job has no TaskManager, or a fresh one
        await_new_taskmanager()
    await_checkpoint(run)
    sent += run.produce(data.phase_b)
    expected = assert_exact(run, sent, record=record_property)
    assert len(expected.late) == 3
    assert len(restarted_job_exceptions(run)) >= 5


def test_exception_in_the_python_udf(run: PipelineRun, data: Dataset, tmp_path: Path, record_property: Record) -> None:
    marker = tmp_path / "fail-once"
    sent, second = first_half_checkpointed(run, data, IOT_JOB_FAIL_ONCE_MARKER=str(marker))
    marker.touch()
    sent += run.produce(second)
    wait_for("the injected failure", lambda: marker.exists(), lambda exists: not exists, 60)
    await_checkpoint(run)
    sent += run.produce(data.phase_b)
    assert_exact(run, sent, record=record_property)
    assert any("injected failure" in text for text in restarted_job_exceptions(run))


def test_cassandra_down_for_a_minute(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    sent, second = first_half_checkpointed(run, data)
    stopped_at = time.monotonic()
    assert stack_command("down", "cassandra", check=False).returncode == 0
    try:
        sent += run.produce(second)
        time.sleep(max(0.0, 60 - (time.monotonic() - stopped_at)))
    finally:
        assert stack_command("up", "cassandra", check=False).returncode == 0
    sent += run.produce(data.phase_b)
    assert_exact(run, sent, timeout_s=300, record=record_property)
    assert any("cassandra" in text.lower() for text in restarted_job_exceptions(run))


def test_stop_with_savepoint_and_resume_at_another_parallelism(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    sent, second = first_half_checkpointed(run, data)
    savepoint = run.stop_with_savepoint()
    sent += run.produce(second)  # while no job runs
    run.submit(parallelism=2, savepoint=savepoint, overrides=REMEMBER_IDS_ALL_RUN)
    sent += run.produce(data.phase_b)
    assert_exact(run, sent, record=record_property)
    vertices = run.rest(f"/jobs/{run.job_id}")["vertices"]
    # Every task at the new parallelism but the archive's partition committer, which runs alone.
    assert {vertex["parallelism"] for vertex in vertices if not vertex["name"].startswith("end")} == {2}


def test_replaying_the_topic_leaves_the_tables_unchanged(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    run.submit(parallelism=1, overrides=REMEMBER_IDS_ALL_RUN)
    sent = run.produce(data.phase_a) + run.produce(data.phase_b)
    assert_exact(run, sent, record=record_property)
    before = run.table_rows()
    run.cancel()

    # A new consumer group starts at the earliest offset with no state; its dead letters go apart.
    replay = {"IOT_JOB_CONSUMER_GROUP": f"{run.settings.job.consumer_group}-replay",
              "IOT_JOB_NAME": f"{run.settings.job.name}-replay",
              "IOT_KAFKA_REJECTED_TOPIC": f"{run.settings.kafka.rejected_topic}.replay",
              "IOT_KAFKA_LATE_TOPIC": f"{run.settings.kafka.late_topic}.replay"}
    ensure_topics(Settings.from_env({**run.env, **replay}).kafka)
    run.submit(parallelism=2, overrides={**replay, **REMEMBER_IDS_ALL_RUN})
    expected = expected_outcome(sent)
    wait_for("the replayed late records", lambda: run.read_topic(replay["IOT_KAFKA_LATE_TOPIC"]),
             lambda records: len(records) >= len(expected.late), 120)
    wait_for("the replayed rejections", lambda: run.read_topic(replay["IOT_KAFKA_REJECTED_TOPIC"]),
             lambda records: len(records) == len(expected.rejected), 60)
    # A replay rewrites each row as it goes, through the means of part of its readings, and ends
    # on the same values: converged once it has read everything and checkpointed.
    wait_for("the tables to be as before the replay", lambda: comparable(run.table_rows()),
             lambda after: after == comparable(before), 120)


def comparable(tables: dict[str, list]) -> dict[str, list[tuple]]:
    """Rows as values, means to 1e-9 (another parallelism adds in another order)."""
    def mean(value: float | None) -> float | None:
        return None if value is None else round(value, 9)

    return {table: sorted((r.hour, r.region, r.readings, mean(r.mean_temperature), mean(r.mean_temperature_3h_before))
                          for r in rows) for table, rows in tables.items()}


def test_a_sensor_with_a_clock_a_day_ahead_makes_nobody_late(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    run.submit(parallelism=1, overrides=REMEMBER_IDS_ALL_RUN)
    sent = run.produce(data.phase_a)
    ahead = datetime.now(UTC) + timedelta(days=1)
    wrong_clock = [reading(f"ahead-{n}", ahead, (48.11, -1.68), 9.0) for n in range(4)]
    # Had they moved the watermark, every reading of phase B would be too late.
    sent += run.produce(wrong_clock) + run.produce(data.phase_b)
    expected = assert_exact(run, sent, record=record_property)
    assert {f"ahead-{n}" for n in range(4)} <= {r.reading_id for r in expected.rejected if r.reason == "future_timestamp"}
    assert len(expected.late) == 3


def test_idle_partitions_hold_back_no_hour(run: PipelineRun, data: Dataset, record_property: Record) -> None:
    """Everything goes to partition 0 of the four: the others never send a watermark."""
    run.submit(parallelism=2, overrides=REMEMBER_IDS_ALL_RUN)
    sent = run.produce(data.phase_a, partition=0) + run.produce(data.phase_b, partition=0)
    expected = assert_exact(run, sent, record=record_property)
    last_hour = max(row.hour for row in expected.rows)
    assert last_hour == data.base_hour + 6 * HOUR and len(expected.late) == 3
