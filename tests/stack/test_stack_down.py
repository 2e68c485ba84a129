"""``scripts/stack.sh down`` leaves no process behind, the Python workers of a killed TaskManager included."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.stack_script import stack_command

pytestmark = pytest.mark.services

OUR_PYTHON = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python")


def our_python_workers() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "pyflink.fn_execution.beam"], capture_output=True, text=True)
    pids = []
    for pid in found.stdout.split():
        try:
            if OUR_PYTHON in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                pids.append(int(pid))
        except OSError:  # ended meanwhile
            continue
    return pids


def test_down_stops_the_python_workers_a_killed_taskmanager_left(stack: Settings) -> None:
    run = PipelineRun.create("down")
    run.submit(1)
    try:
        orphans = wait_for("a Python worker", our_python_workers, bool, 120)
        taskmanagers = subprocess.run(["pgrep", "-f", "TaskManagerRunner"], capture_output=True, text=True).stdout.split()
        for pid in taskmanagers:
            os.kill(int(pid), signal.SIGKILL)
        assert set(orphans) <= set(our_python_workers()), "the workers died with their TaskManager"
    finally:
        run.cancel()
        run.drop()
    stack_command("down", "flink")
    try:
        assert our_python_workers() == []
    finally:
        stack_command("up", "flink")
