"""Render the Flink configuration of each target from ``flink-conf/``, the one source.

``config.yaml`` is the local stack's configuration and the common part of every other;
``targets.yaml`` says, per target, what differs and why. Run with no argument after editing
either: it rewrites the rendered files (the Docker image's ``docker/flink/config.yaml`` and the
``flinkConfiguration`` of ``deploy/k8s/flink-deployment.yaml``); ``--check`` only says whether
they are current. ``local VAR_DIR PYTHON OUTPUT`` is how ``scripts/stack.sh`` fills in the
local stack's placeholders.

    python flink-conf/render.py [--check]
    python flink-conf/render.py local VAR_DIR PYTHON OUTPUT
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCE = HERE / "config.yaml"
TARGETS = HERE / "targets.yaml"
DOCKER_CONFIG = ROOT / "docker" / "flink" / "config.yaml"
FLINK_DEPLOYMENT = ROOT / "deploy" / "k8s" / "flink-deployment.yaml"
HEADER = "Rendered from flink-conf/config.yaml and flink-conf/targets.yaml by flink-conf/render.py: edit those."
_PLACEHOLDER = re.compile(r"@(\w+)@")
# The FlinkDeployment's flinkConfiguration block: its key line, then every more indented line.
_K8S_BLOCK = re.compile(r"^  flinkConfiguration:\n(?:(?:    .*)?\n)*", re.MULTILINE)


class RenderError(ValueError):
    """The source and the overlay do not make a complete configuration for a target."""


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested YAML mappings as Flink's dotted keys, in the file's order."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def fill(text: str, placeholders: dict[str, str]) -> str:
    """``text`` with each ``@NAME@`` replaced; a placeholder without a value is an error."""
    def value(match: re.Match[str]) -> str:
        if match.group(1) not in placeholders:
            raise RenderError(f"no value for @{match.group(1)}@")
        return placeholders[match.group(1)]

    return _PLACEHOLDER.sub(value, text)


def _yaml() -> Any:
    """PyYAML, imported only where needed: ``local``, run by scripts/stack.sh, works without it."""
    import yaml

    return yaml


def targets() -> dict[str, dict[str, Any]]:
    return _yaml().safe_load(TARGETS.read_text(encoding="utf-8"))


def render(target: str) -> dict[str, Any]:
    """The flat configuration of ``target``: config.yaml, less its ``remove``, plus its ``set``."""
    overlay = targets()[target]
    source = flatten(_yaml().safe_load(_PLACEHOLDER.sub(r"PLACEHOLDER-\1", SOURCE.read_text(encoding="utf-8"))))
    unknown = [key for key in overlay.get("remove", {}) if key not in source]
    if unknown:
        raise RenderError(f"{target}: removes {', '.join(unknown)}, which config.yaml does not set")
    config = {key: value for key, value in source.items() if key not in overlay.get("remove", {})}
    config |= overlay.get("set", {})
    placeholders = overlay.get("placeholders", {})
    return {
        key: fill(re.sub(r"PLACEHOLDER-(\w+)", r"@\1@", value), placeholders) if isinstance(value, str) else value
        for key, value in config.items()
    }


def flink_text(value: Any) -> str:
    """A value as Flink reads it (the FlinkDeployment's map takes strings only)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def docker_config() -> str:
    """The text of docker/flink/config.yaml."""
    return f"# {HEADER}\n" + _yaml().safe_dump(render("docker"), sort_keys=False, width=100_000)


def kubernetes_deployment(current: str) -> str:
    """``current`` (the text of flink-deployment.yaml) with its flinkConfiguration rendered."""
    config = {key: flink_text(value) for key, value in render("kubernetes").items()}
    body = _yaml().safe_dump(config, sort_keys=False, width=100_000)
    block = "  flinkConfiguration:\n" + f"    # {HEADER}\n" + "".join(f"    {line}\n" for line in body.splitlines())
    rendered, count = _K8S_BLOCK.subn(lambda _: block, current, count=1)
    if count != 1:
        raise RenderError(f"{FLINK_DEPLOYMENT}: no flinkConfiguration block")
    return rendered


def rendered_files() -> dict[Path, str]:
    """Each rendered file of the repository with the text it must have."""
    return {
        DOCKER_CONFIG: docker_config(),
        FLINK_DEPLOYMENT: kubernetes_deployment(FLINK_DEPLOYMENT.read_text(encoding="utf-8")),
    }


def stale_files() -> list[Path]:
    return [path for path, text in rendered_files().items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if argv[:1] == ["local"] and len(argv) == 4:
        var_dir, python, output = argv[1:]
        Path(output).write_text(fill(SOURCE.read_text(encoding="utf-8"), {"VAR_DIR": var_dir, "PYTHON": python}),
                                encoding="utf-8")
        return 0
    if argv == ["--check"]:
        stale = stale_files()
        for path in stale:
            print(f"{os.path.relpath(path, ROOT)} is not current: run python flink-conf/render.py", file=sys.stderr)
        return 1 if stale else 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    for path, text in rendered_files().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
