"""docker/compose.yaml built and run for real (podman), checked against the oracle.

The job submitted by the compose `submit` service, fed the end-to-end dataset, must give the
oracle's tables and dead letters (as tests/e2e does on the local stack); then the mock API and
the poller feed it too; a TaskManager whose process is killed comes back (restart policy) and
the job recovers from its checkpoint; at the end, with the poller stopped, the tables equal the
oracle over every message of the readings topic, and `down` leaves no container or volume.
Run by `make test-containers`, and by `make test` (IOT_CONTAINER_TESTS=1): see docs/deployment.md.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from jobs.running_job import job_progress, running_job_id, wait_until_running
from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.containers.conftest import NETNS, ROOT, Topology, containers, podman, project_leftovers
from tests.support.dataset import build
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, assert_dataset_end_to_end, assert_exact

pytestmark = [pytest.mark.containers, pytest.mark.slow]

SECRETS = ROOT / "docker" / "secrets"

# How a tool on the host reaches the topology (compose.yaml's published ports), with its credentials.
HOST_CLIENT_ENV = {
    "IOT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "IOT_KAFKA_SASL_USERNAME": "iot",
    "IOT_KAFKA_SASL_PASSWORD_FILE": str(SECRETS / "kafka_password"),
    "IOT_CASSANDRA_HOST": "127.0.0.1",
    "IOT_CASSANDRA_USERNAME": "iot",
    "IOT_CASSANDRA_PASSWORD_FILE": str(SECRETS / "cassandra_password"),
    "IOT_FLINK_REST_URL": "http://127.0.0.1:8081",
}


def restarts(container: str) -> int:
    return int(podman("inspect", "--format", "{{.RestartCount}}", container))


def test_compose_topology_matches_the_oracle_and_recovers(topology: Topology, record_property) -> None:
    record_property("images (s)", round(topology.images_built_in_s))
    record_property("start to provisioned and TaskManager up (s)", round(topology.started_in_s))
    # The compose `submit` service; the dataset corrects readings older than the job's default
    # memory of ids, so its run keeps them all run long, as tests/e2e does.
    started = time.monotonic()
    containers("compose", "run", "--rm", "--no-deps",
               *[f"-e={name}={value}" for name, value in REMEMBER_IDS_ALL_RUN.items()], "submit")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("IOT_")}, **HOST_CLIENT_ENV}
    run = PipelineRun(Settings.from_env(env), env)
    job_id = running_job_id(run.settings.flink.rest_url, run.settings.job.name)
    assert job_id, "the submit service left no running job"
    run.job_id = job_id
    wait_until_running(run.settings.flink.rest_url, job_id, timeout_s=180)
    record_property("submit to job running (s)", round(time.monotonic() - started))

    assert_dataset_end_to_end(run, build(datetime.now(UTC)))
    dataset_size = len(run.sent_messages())

    containers("up", "ingest")  # and the mock API it depends on
    wait_for("the poller's readings", run.sent_messages, lambda sent: len(sent) > dataset_size + 200, 180)

    taskmanager = topology.container("taskmanager")
    before = restarts(taskmanager)
    os.kill(int(podman("inspect", "--format", "{{.State.Pid}}", taskmanager)), signal.SIGKILL)
    killed = time.monotonic()
    wait_for("the TaskManager container to restart", lambda: restarts(taskmanager), lambda count: count > before, 120)
    # The JobManager notices the lost TaskManager (its connection or heartbeat), fails the job's
    # tasks and restarts them on the new TaskManager from the last checkpoint.
    wait_for("the job to record the lost TaskManager", lambda: job_progress(run.settings.flink.rest_url, job_id),
             lambda progress: bool(progress.failure), 180)
    wait_until_running(run.settings.flink.rest_url, job_id, timeout_s=300)
    record_property("TaskManager killed to job running again (s)", round(time.monotonic() - killed))

    containers("compose", "stop", "ingest")  # delivers or spools what it holds, then publishes nothing more
    sent = run.sent_messages()
    assert len(sent) > dataset_size + 200
    assert_exact(run, sent, timeout_s=300, record=record_property)


def test_down_leaves_no_container_or_volume(topology: Topology) -> None:
    """Runs after the topology test, on the module's topology: `down` must remove it all."""
    before = project_leftovers()
    declared = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))["volumes"]
    assert len(before["containers"]) >= 8 and len(before["volumes"]) == len(declared), before
    containers("down")
    assert project_leftovers() == {"containers": [], "volumes": []}
    assert not (Path("/run/netns") / NETNS).exists()
