"""What podman-compose 1.6 with Debian 12's podman 4.3 leaves out of docker/compose.yaml, done here.

- ``up PODMAN_COMPOSE_COMMAND... -- [SERVICE...]`` (project: ``COMPOSE_PROJECT_NAME``, else the
  file's name): podman-compose skips ``service_healthy`` with podman older than 4.6, and without
  systemd podman runs no healthcheck by itself; so this starts one service at a time in
  dependency order, and before each one waits for what its ``depends_on`` asks: a dependency
  running, healthy (its own compose healthcheck, run with ``podman healthcheck run``), or exited
  with status 0. No service: all but those behind a profile; a named service brings its
  dependencies.
- ``configs-override FILE``: podman-compose ignores ``configs``; this writes a compose file to
  pass after compose.yaml that mounts each service's configs where compose would (read-only
  bind mounts of the same files, which is how compose itself provides file configs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "docker" / "compose.yaml"


class StartFailed(RuntimeError):
    """A dependency did not reach its condition: the message says which and shows its last logs."""


def start_order(services: dict[str, Any], wanted: list[str]) -> list[str]:
    """``wanted`` and everything they depend on, each after its dependencies."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name not in services:
            raise ValueError(f"no service {name!r} in {COMPOSE_FILE.name}")
        if name in visiting:
            raise ValueError(f"depends_on cycle through {name!r}")
        visiting.add(name)
        for dependency in dependencies(services[name]):
            visit(dependency)
        order.append(name)

    for name in wanted:
        visit(name)
    return order


def dependencies(service: dict[str, Any]) -> dict[str, str]:
    """``depends_on`` as {service: condition}, in either of its two forms."""
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends_on.items()}


def seconds(duration: str | None, default: float) -> float:
    """A compose duration (``10s``, ``2m``, ``1m30s``) in seconds."""
    if not duration:
        return default
    total, number = 0.0, ""
    for char in str(duration):
        if char.isdigit() or char == ".":
            number += char
        else:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return total + (float(number) if number else 0)


def health_deadline(service: dict[str, Any]) -> float:
    """How long compose would wait for ``service`` to turn healthy: start period + interval × retries."""
    check = service.get("healthcheck") or {}
    return seconds(check.get("start_period"), 0) + seconds(check.get("interval"), 30) * int(check.get("retries", 3))


class Podman:
    def __init__(self, compose_command: list[str], project: str) -> None:
        self.compose_command = compose_command
        self.project = project

    def container(self, service: str) -> str:
        names = subprocess.run(
            ["podman", "ps", "-a", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={self.project}",
             "--filter", f"label=com.docker.compose.service={service}"],
            check=True, capture_output=True, text=True).stdout.split()
        if len(names) != 1:
            raise StartFailed(f"expected one container of {service}, found {names}")
        return names[0]

    def up(self, service: str) -> None:
        if subprocess.run([*self.compose_command, "up", "-d", "--no-deps", service]).returncode:
            raise StartFailed(f"podman-compose could not start {service} (its output is above)")

    def state(self, container: str) -> tuple[str, int]:
        out = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container],
                             check=True, capture_output=True, text=True).stdout.split()
        return out[0], int(out[1])

    def restarts(self, container: str) -> int:
        return int(subprocess.run(["podman", "inspect", "--format", "{{.RestartCount}}", container],
                                  check=True, capture_output=True, text=True).stdout)

    def healthy(self, container: str) -> bool:
        return subprocess.run(["podman", "healthcheck", "run", container], capture_output=True).returncode == 0

    def logs(self, container: str) -> str:
        return subprocess.run(["podman", "logs", "--tail", "30", container], capture_output=True, text=True).stdout


def wait_for(podman: Podman, services: dict[str, Any], name: str, condition: str) -> None:
    container = podman.container(name)
    if condition == "service_healthy":
        deadline = time.monotonic() + health_deadline(services[name])
        while not podman.healthy(container):
            if time.monotonic() > deadline or podman.state(container)[0] == "exited" or podman.restarts(container):
                raise StartFailed(f"{name} is not healthy; its last logs:\n{podman.logs(container)}")
            time.sleep(seconds((services[name].get("healthcheck") or {}).get("interval"), 10) / 2)
    elif condition == "service_completed_successfully":
        subprocess.run(["podman", "wait", container], check=True, capture_output=True)
        status, code = podman.state(container)
        if code != 0:
            raise StartFailed(f"{name} ended with status {code}; its last logs:\n{podman.logs(container)}")
    elif podman.state(container)[0] != "running":
        raise StartFailed(f"{name} is not running; its last logs:\n{podman.logs(container)}")


def configs_as_mounts(document: dict[str, Any], base: Path) -> dict[str, Any]:
    """A compose override: each service's ``configs`` as read-only volumes (files relative to ``base``)."""
    declared = document.get("configs") or {}
    services: dict[str, Any] = {}
    for name, service in document["services"].items():
        mounts = []
        for config in service.get("configs") or []:
            source = config if isinstance(config, str) else config["source"]
            target = f"/{source}" if isinstance(config, str) else config.get("target", f"/{source}")
            mounts.append(f"{(base / declared[source]['file']).resolve()}:{target}:ro")
        if mounts:
            services[name] = {"volumes": mounts}
    return {"services": services}


def main(argv: list[str]) -> int:
    if argv[:1] == ["configs-override"]:
        document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
        Path(argv[1]).write_text(yaml.safe_dump(configs_as_mounts(document, COMPOSE_FILE.parent)), encoding="utf-8")
        return 0
    if argv[:1] != ["up"]:
        raise SystemExit(__doc__)
    argv = argv[1:]
    split = argv.index("--")
    compose_command, wanted = argv[:split], argv[split + 1:]
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services: dict[str, Any] = document["services"]
    wanted = wanted or [name for name, service in services.items() if not service.get("profiles")]
    podman = Podman(compose_command, os.environ.get("COMPOSE_PROJECT_NAME") or document["name"])
    started = time.monotonic()
    for name in start_order(services, wanted):
        for dependency, condition in dependencies(services[name]).items():
            wait_for(podman, services, dependency, condition)
        print(f"[compose-up] {time.monotonic() - started:5.0f} s  starting {name}", file=sys.stderr, flush=True)
        podman.up(name)
    print(f"[compose-up] {time.monotonic() - started:5.0f} s  all started", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except StartFailed as failure:
        print(f"[compose-up] {failure}", file=sys.stderr)
        sys.exit(1)
