"""The job runs with Python workers on an interpreter that has nothing of ours installed.

``build/bare-python`` (scripts/bootstrap.sh) holds Flink's Python and the libraries the job
imports at run time, not our package: every module of ours the workers load must come with the
job (``iot-submit``'s ``--pyFiles``, ``jobs.shipped_code``). The first phase of the end-to-end
dataset goes through the pipeline and both tables must equal the oracle's rows. The client that
builds the job's graph stays on the project's venv, as it would on an operator's machine.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.submit import ROOT
from oracle import expected_outcome
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.dataset import build
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, assert_tables_reach

pytestmark = [pytest.mark.services, pytest.mark.slow]

BARE_PYTHON = ROOT / "build" / "bare-python" / "bin" / "python"


def runs_in_bare_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return subprocess.run([str(BARE_PYTHON), "-c", code], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)


def bare_workers() -> dict[int, list[Path]]:
    """The Python workers running on the bare interpreter, each with the folders its imports search
    before site-packages: its working folder (``python -m`` puts it on sys.path) and its PYTHONPATH."""
    found = subprocess.run(["pgrep", "-f", "pyflink.fn_execution"], capture_output=True, text=True).stdout.split()
    workers: dict[int, list[Path]] = {}
    for pid in map(int, found):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if str(BARE_PYTHON).encode() not in command:
                continue
            environ = dict(item.split(b"=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item)
            folders = [Path(os.readlink(f"/proc/{pid}/cwd"))]
            folders += [Path(entry) for entry in environ.get(b"PYTHONPATH", b"").decode().split(":") if entry]
        except OSError:  # ended meanwhile
            continue
        workers[pid] = folders
    return workers


def test_the_job_ships_all_our_code_its_python_workers_import(run: PipelineRun, tmp_path: Path) -> None:
    if not BARE_PYTHON.exists():
        pytest.fail(f"no {BARE_PYTHON}: run scripts/bootstrap.sh")
    assert runs_in_bare_python("import pyflink, cassandra, shapely", tmp_path).returncode == 0
    alone = runs_in_bare_python("import results", tmp_path)
    assert alone.returncode != 0 and "No module named 'results'" in alone.stderr, (
        "our package is installed in the bare interpreter"
    )

    data = build(datetime.now(UTC))
    run.submit(parallelism=1, workers_python=BARE_PYTHON, overrides=REMEMBER_IDS_ALL_RUN)
    sent = run.produce(data.phase_a)
    assert_tables_reach(run, expected_outcome(sent))

    # The tables prove the workers ran; this proves they did not find our code in the checkout.
    workers = wait_for("the job's Python workers on the bare interpreter", bare_workers, bool, 60)
    checkout = ROOT.resolve()
    for pid, folders in workers.items():
        assert checkout not in {folder.resolve() for folder in folders}, (
            f"Python worker {pid} can import from the checkout {checkout} (working folder or PYTHONPATH): "
            "restart the stack with scripts/stack.sh, which starts Flink outside the checkout"
        )
