"""Shared fixtures: the real local stack, started by the test run itself when it is not up.

Tests that talk to Kafka, Cassandra or Flink take the ``stack`` fixture and carry the
``services`` marker. The stack is stopped at the end if this run started it, unless
``IOT_KEEP_STACK=1`` (handy when iterating on one test).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from settings import Settings
from testkit.pipeline_run import PipelineRun
from tests.support.stack_script import stack_command


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    already_up = stack_command("status", check=False).returncode == 0
    if not already_up:
        started = stack_command("up", check=False)
        if started.returncode != 0:
            pytest.fail(f"scripts/stack.sh up failed:\n{started.stdout}\n{started.stderr}")
    subprocess.run([sys.executable, "-m", "infra.provision"], check=True, timeout=120)
    yield Settings.from_env()
    if not already_up and os.environ.get("IOT_KEEP_STACK") != "1":
        stopped = stack_command("down", check=False)
        if stopped.returncode != 0:
            pytest.fail(f"scripts/stack.sh down failed, processes may be left:\n{stopped.stdout}\n{stopped.stderr}")


@pytest.fixture
def unique_name() -> str:
    """A name no other test uses, for topics, consumer groups and rows."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def run(stack: Settings) -> Iterator[PipelineRun]:
    """A run of the whole pipeline with its own topics, keyspace and job, removed afterwards."""
    pipeline = PipelineRun.create()
    yield pipeline
    pipeline.cancel()
    pipeline.drop()
