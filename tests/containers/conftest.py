"""The compose topology of docker/compose.yaml, started under podman by scripts/containers.sh.

The test runs it as its own compose project, so its containers, volumes, network and network
namespace are not those of a topology someone started by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.waiting import wait_for
from tests.containers import network_namespace

ROOT = Path(__file__).resolve().parents[2]
# One project per checkout; scripts/containers.sh names the network namespace after it.
PROJECT = NETNS = f"iot-test-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]}"
# The images have machine-wide names (compose.yaml's): one checkout at a time builds and runs them.
MACHINE_LOCK = Path("/run/lock/iot-temperature-containers.lock")


def selected(config: pytest.Config) -> bool:
    """Chosen with `-m containers` (make test-containers) or IOT_CONTAINER_TESTS=1 (make test)."""
    expression = config.option.markexpr or ""
    chosen = "containers" in expression and "not containers" not in expression
    return chosen or os.environ.get("IOT_CONTAINER_TESTS") == "1"


def run_script(script: str, *args: str, timeout_s: float = 1800) -> str:
    """scripts/SCRIPT ARGS for the test's project; its output, or a failure that shows it."""
    done = subprocess.run([str(ROOT / "scripts" / script), *args], capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "IOT_CONTAINERS_PROJECT": PROJECT})
    if done.returncode:
        raise AssertionError(f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"[-6000:])
    return done.stdout


def containers(*args: str) -> str:
    return run_script("containers.sh", *args)


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout


def project_leftovers() -> dict[str, list[str]]:
    """The project's containers and volumes that podman still has."""
    label = f"label=io.podman.compose.project={PROJECT}"
    return {"containers": podman("ps", "-aq", "--filter", label).split(),
            "volumes": podman("volume", "ls", "-q", "--filter", label).split()}


@dataclass
class Topology:
    images_built_in_s: float
    started_in_s: float

    def container(self, service: str) -> str:
        names = podman("ps", "-a", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={PROJECT}",
                       "--filter", f"label=com.docker.compose.service={service}").split()
        assert len(names) == 1, f"one container of {service} expected, found {names}"
        return names[0]


@pytest.fixture(scope="module")
def topology(request: pytest.FixtureRequest) -> Iterator[Topology]:
    """The images built (cached layers make it quick), then Kafka, Cassandra (with its roles),
    the topics and tables, the Flink JobManager and TaskManager running; the job, the mock API
    and the poller are the test's to start. Everything is removed afterwards, volumes included."""
    if not selected(request.config):
        pytest.skip("builds images and runs the compose topology: make test-containers")
    with MACHINE_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield from running_topology()


def running_topology() -> Iterator[Topology]:
    started = time.monotonic()
    run_script("images.sh")
    built = time.monotonic()
    containers("down")  # what a test run that was killed left
    try:
        containers("up", "provision", "taskmanager")
        topology = Topology(images_built_in_s=built - started, started_in_s=0)
        # What the `submit` service waits for (the test runs it without its dependencies).
        jobmanager = topology.container("jobmanager")
        wait_for("the JobManager to be healthy (a TaskManager registered)",
                 lambda: subprocess.run(["podman", "healthcheck", "run", jobmanager], capture_output=True).returncode,
                 lambda status: status == 0, 180)
        topology.started_in_s = time.monotonic() - built
        with network_namespace.inside(NETNS):
            yield topology
    finally:
        containers("down")
