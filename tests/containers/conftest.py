"""The compose topology of docker/compose.yaml, started under podman by scripts/containers.sh."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.waiting import wait_for
from tests.containers import network_namespace

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS = ROOT / "scripts" / "containers.sh"
NETNS = "iot-containers"
PROJECT = "iot-temperature"


def containers(*args: str, timeout_s: float = 900) -> str:
    """scripts/containers.sh ARGS; its output, or a failure that shows it."""
    done = subprocess.run([str(CONTAINERS), *args], capture_output=True, text=True, timeout=timeout_s)
    if done.returncode:
        raise AssertionError(f"containers.sh {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"[-6000:])
    return done.stdout


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout


def project_leftovers() -> dict[str, list[str]]:
    """The project's containers and volumes that podman still has."""
    label = f"label=io.podman.compose.project={PROJECT}"
    return {"containers": podman("ps", "-aq", "--filter", label).split(),
            "volumes": podman("volume", "ls", "-q", "--filter", label).split()}


@dataclass
class Topology:
    started_in_s: float

    def container(self, service: str) -> str:
        names = podman("ps", "-a", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={PROJECT}",
                       "--filter", f"label=com.docker.compose.service={service}").split()
        assert len(names) == 1, f"one container of {service} expected, found {names}"
        return names[0]


@pytest.fixture(scope="module")
def topology(request: pytest.FixtureRequest) -> Iterator[Topology]:
    """Kafka, Cassandra (with its roles), the topics and tables, the Flink JobManager and
    TaskManager running; the job, the mock API and the poller are the test's to start. Everything
    is removed afterwards, volumes included."""
    if "containers" not in (request.config.option.markexpr or ""):
        pytest.skip("builds images and runs the compose topology (about 15 min): make test-containers")
    leftovers = project_leftovers()
    if any(leftovers.values()):
        pytest.fail(f"the compose project is already up or left data ({leftovers}): scripts/containers.sh down first")
    started = time.monotonic()
    try:
        containers("up", "provision", "taskmanager")
        topology = Topology(started_in_s=0)
        # What the `submit` service waits for (the test runs it without its dependencies).
        jobmanager = topology.container("jobmanager")
        wait_for("the JobManager to be healthy (a TaskManager registered)",
                 lambda: subprocess.run(["podman", "healthcheck", "run", jobmanager], capture_output=True).returncode,
                 lambda status: status == 0, 180)
        topology.started_in_s = time.monotonic() - started
        with network_namespace.inside(NETNS):
            yield topology
    finally:
        containers("down")
