"""``wait_until_running``: within a minute, the job submitted runs with all its tasks, or why not
(no slots, failed, stuck), against a stand-in for Flink's REST API."""

from __future__ import annotations

import pytest

from jobs.running_job import NotRunning, wait_until_running
from tests.support.fake_flink_rest import JOB_ID, NO_SLOTS_TRACE, FakeFlinkRest, Snapshot, running


class FakeClock:
    """time.monotonic and time.sleep for wait_until_running: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait(script: list[Snapshot], clock: FakeClock, slots_total: int = 2, slots_available: int = 0) -> None:
    with FakeFlinkRest(script, slots_total, slots_available) as flink:
        wait_until_running(f"http://{flink.address}", JOB_ID, 60, every_s=1, clock=clock, sleep=clock.sleep)


def test_a_job_whose_tasks_all_come_to_run_is_waited_for() -> None:
    clock = FakeClock()
    wait([Snapshot("INITIALIZING"), Snapshot("RUNNING", {"SCHEDULED": 2, "DEPLOYING": 2}),
          Snapshot("RUNNING", {"INITIALIZING": 4}), running()], clock)
    assert clock.now == 3


def test_a_job_whose_tasks_wait_for_slots_is_reported_after_the_timeout() -> None:
    """Flink's default scheduler: the job RUNNING, its tasks SCHEDULED until the slot request times out."""
    clock = FakeClock()
    with pytest.raises(NotRunning) as error:
        wait([Snapshot("RUNNING", {"SCHEDULED": 4})], clock, slots_total=2, slots_available=0)
    assert 60 <= clock.now <= 61
    assert str(error.value).startswith(f"job {JOB_ID} is not running for lack of task slots (0 of 2 slots free; "
                                       "job RUNNING, tasks: 4 SCHEDULED)")
    assert f"flink cancel {JOB_ID}" in str(error.value) and "\n" not in str(error.value)


def test_a_job_waiting_for_resources_in_created_is_short_of_slots_too() -> None:
    """The adaptive scheduler waits for resources with the job CREATED and its tasks CREATED."""
    with pytest.raises(NotRunning, match="lack of task slots .*job CREATED, tasks: 2 CREATED"):
        wait([Snapshot("CREATED", {"CREATED": 2})], FakeClock())


def test_a_no_resource_exception_ends_the_wait_at_once() -> None:
    clock = FakeClock()
    restarting = Snapshot("RESTARTING", {"CANCELED": 4}, (("java.util.concurrent.CompletionException", NO_SLOTS_TRACE),))
    with pytest.raises(NotRunning, match="lack of task slots .*job RESTARTING"):
        wait([Snapshot("RUNNING", {"SCHEDULED": 4}), restarting], clock)
    assert clock.now == 1


def test_a_failed_job_says_why() -> None:
    failed = Snapshot("FAILED", {"FAILED": 1, "CANCELED": 3},
                      (("java.lang.RuntimeException", "java.lang.RuntimeException: boom in the UDF\n\tat x.y(Z.java:1)"),))
    with pytest.raises(NotRunning) as error:
        wait([failed], FakeClock())
    assert str(error.value) == f"job {JOB_ID} is FAILED: java.lang.RuntimeException: boom in the UDF"


def test_tasks_still_starting_after_the_timeout_are_not_called_short_of_slots() -> None:
    with pytest.raises(NotRunning) as error:
        wait([Snapshot("RUNNING", {"RUNNING": 2, "INITIALIZING": 2})], FakeClock())
    assert "not running after 60 s (job RUNNING, tasks: 2 INITIALIZING, 2 RUNNING)" in str(error.value)
    assert "slots" not in str(error.value)
