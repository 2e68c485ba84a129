"""Render ``flink-conf/config.yaml`` into the Flink configuration baked into the docker image.

The local stack and the containers run one Flink configuration (checkpointing, state backend,
restart strategy, Python batch sizes). Only what ties it to one machine changes here: the paths,
the interpreter, and the loopback addresses, which would hide each container from the others.

    python docker/flink/render_config.py flink-conf/config.yaml OUTPUT
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

# The flink-state volume of docker/compose.yaml is mounted at STATE_DIR/flink.
STATE_DIR = "/var/lib/iot"
PYTHON = "/opt/venv/bin/python"

# Containers must accept connections from the compose network, not only from themselves.
CONTAINER_NETWORK: dict[tuple[str, ...], str] = {
    ("jobmanager", "bind-host"): "0.0.0.0",
    ("taskmanager", "bind-host"): "0.0.0.0",
    ("rest", "address"): "0.0.0.0",
    ("rest", "bind-address"): "0.0.0.0",
}
# Set per container instead: the JobManager's address by the image's entrypoint (from
# JOB_MANAGER_RPC_ADDRESS), each TaskManager's own address by Flink; logs go to the console.
REMOVED: tuple[tuple[str, ...], ...] = (
    ("jobmanager", "rpc", "address"),
    ("taskmanager", "host"),
    ("env", "log"),
    ("env", "pid"),
)


def _set(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        config = config.setdefault(key, {})
    config[path[-1]] = value


def _remove(config: dict[str, Any], path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        config = config.get(key, {})
    config.pop(path[-1], None)


def render(template: str) -> dict[str, Any]:
    """The container configuration for the text of ``flink-conf/config.yaml``."""
    text = template.replace("@VAR_DIR@", STATE_DIR).replace("@PYTHON@", PYTHON)
    config = yaml.safe_load(text)
    for path, value in CONTAINER_NETWORK.items():
        _set(config, path, value)
    for path in REMOVED:
        _remove(config, path)
    return config


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = (Path(arg) for arg in argv)
    rendered = render(source.read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "# Rendered from flink-conf/config.yaml by docker/flink/render_config.py: edit that file.\n"
        + yaml.safe_dump(rendered, sort_keys=False, width=100_000),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
