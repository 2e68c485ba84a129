"""The throughput benchmark's own logic, without the stack: the floor's timing and the stop when its job cannot run."""

from __future__ import annotations

import sys

import pytest

from benchmarks import job_throughput
from jobs.running_job import NotRunning


class FakeRun:
    def __init__(self, job: dict) -> None:
        self.job_id = "j"
        self.job = job

    def rest(self, path: str) -> dict:
        assert path == "/jobs/j"
        return self.job


def test_the_floor_is_timed_from_running_to_finished_by_flinks_clock() -> None:
    assert job_throughput.finished_seconds(FakeRun({"state": "RUNNING", "timestamps": {"RUNNING": 1000}})) is None
    finished = FakeRun({"state": "FINISHED", "timestamps": {"RUNNING": 1_000, "FINISHED": 24_500}})
    assert job_throughput.finished_seconds(finished) == 23.5


def test_a_job_that_cannot_get_its_slots_stops_the_benchmark_with_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def short_of_slots(*_args: object) -> None:
        raise NotRunning("job j is not running for lack of task slots (0 of 2 free)")

    monkeypatch.setattr(job_throughput, "measure", short_of_slots)
    monkeypatch.setattr(sys, "argv", ["job_throughput.py", "--variants", "job"])
    with pytest.raises(SystemExit) as stopped:
        job_throughput.main()
    assert "cannot run, nothing measured" in str(stopped.value) and "lack of task slots" in str(stopped.value)


def measured(variant: str, seconds: float, jvm_s: float) -> job_throughput.Measurement:
    cpu = {"Flink TaskManager (JVM)": jvm_s, "Cassandra": jvm_s / 10}
    return job_throughput.Measurement(variant, 1_000_000, seconds, {}, cpu, [], jit_seconds=jvm_s / 4)


def test_the_record_holds_each_runs_rates_their_medians_and_the_ratio_to_the_floor_of_the_same_run() -> None:
    runs = [[measured("job", 25.0, 40.0), measured(job_throughput.FLOOR, 10.0, 20.0)],
            [measured("job", 20.0, 50.0), measured(job_throughput.FLOOR, 12.5, 15.0)],
            [measured("job", 40.0, 30.0), measured(job_throughput.FLOOR, 10.0, 14.0)]]
    record = job_throughput.figures(runs, parallelism=2, warmup_runs=1)
    assert record["job"]["rates"] == [40_000, 50_000, 25_000] and record["job"]["rate"] == 40_000
    assert record["job"]["taskmanager_jit_us_per_reading_runs"] == pytest.approx([10.0, 12.5, 7.5])
    assert record["job"]["taskmanager_us_per_reading"] == 40.0 and record["job"]["python_us_per_reading"] == 0
    assert record["job"]["cassandra_us_per_reading_runs"] == pytest.approx([4.0, 5.0, 3.0])
    assert record["job"]["all_processes_us_per_reading_runs"] == pytest.approx([44.0, 55.0, 33.0])
    assert record["job"]["all_processes_us_per_reading"] == pytest.approx(44.0)
    assert record["floor"]["rate"] == 100_000
    assert record["ratio_job_to_floor"] == {"runs": [0.4, 0.625, 0.25], "median": 0.4, "min": 0.25, "max": 0.625}
    assert record["job_per_slot"] == 20_000 and record["runs"] == 3 and record["warmup_runs"] == 1


def test_the_job_without_its_archive_is_the_same_job_with_the_archive_switched_off_and_a_ratio_of_its_own() -> None:
    without = job_throughput.VARIANTS["job without archive"]
    assert without.job == job_throughput.VARIANTS["job"].job and without.overrides == {"IOT_ARCHIVE_ENABLED": "false"}
    runs = [[measured("job", 20.0, 30.0), measured("job without archive", 16.0, 24.0)]]
    record = job_throughput.figures(runs, parallelism=2)
    assert record["job_without_archive"]["rate"] == 62_500
    assert record["ratio_job_to_job_without_archive"]["median"] == 0.8
