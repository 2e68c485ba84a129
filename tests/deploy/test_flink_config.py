"""docker/flink/render_config.py: the containers run flink-conf/config.yaml, moved off loopback."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.deploy import compose_checks
from tests.deploy.conftest import DOCKER, ROOT

LOCAL_CONFIG = ROOT / "flink-conf" / "config.yaml"


@pytest.fixture(scope="module")
def renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_config", DOCKER / "flink" / "render_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(renderer: ModuleType) -> dict[str, Any]:
    return renderer.render(LOCAL_CONFIG.read_text(encoding="utf-8"))


def flatten(config: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in config.items():
        if isinstance(value, dict):
            yield from flatten(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def test_nothing_is_left_on_loopback_or_unrendered(rendered: dict[str, Any]) -> None:
    leftovers = {key: value for key, value in flatten(rendered) if re.search(r"127\.0\.0\.1|localhost|@\w+@", str(value))}
    assert leftovers == {}


def test_servers_listen_on_the_container_network(rendered: dict[str, Any]) -> None:
    for section in ("jobmanager", "taskmanager"):
        assert rendered[section]["bind-host"] == "0.0.0.0"
    assert rendered["rest"]["bind-address"] == "0.0.0.0"
    assert "host" not in rendered["taskmanager"], "each TaskManager must advertise its own address"


def test_every_other_setting_is_the_local_one(renderer: ModuleType, rendered: dict[str, Any]) -> None:
    """Checkpointing, state backend, restarts, Python batches: one configuration for both stacks."""
    changed = set(renderer.CONTAINER_NETWORK) | set(renderer.REMOVED)
    # Placeholders (@VAR_DIR@, @PYTHON@) made loadable, then left out: they are rendered on purpose.
    local = yaml.safe_load(re.sub(r"@(\w+)@", r"PLACEHOLDER-\1", LOCAL_CONFIG.read_text(encoding="utf-8")))
    expected = {
        key: value
        for key, value in flatten(local)
        if "PLACEHOLDER-" not in str(value) and not any(key[: len(path)] == path for path in changed)
    }
    actual = dict(flatten(rendered))
    assert {key: actual.get(key) for key in expected} == expected


def test_python_workers_use_the_image_virtualenv(renderer: ModuleType, rendered: dict[str, Any]) -> None:
    assert rendered["python"]["executable"] == rendered["python"]["client"]["executable"] == renderer.PYTHON
    venv = str(Path(renderer.PYTHON).parent.parent)
    assert f"uv venv --seed --python 3.11 {venv}" in (DOCKER / "Dockerfile").read_text(encoding="utf-8")


def test_checkpoints_live_on_the_volume_shared_by_the_flink_services(
    rendered: dict[str, Any], compose_file: dict[str, Any]
) -> None:
    checkpointing = rendered["execution"]["checkpointing"]
    for service in ("jobmanager", "taskmanager", "submit"):
        mount = compose_checks.named_volumes(compose_file["services"][service])["flink-state"]
        for key in ("dir", "savepoint-dir"):
            assert checkpointing[key].startswith(f"file://{mount}/"), (service, key)
    submit_script = (DOCKER / "flink" / "submit-job.sh").read_text(encoding="utf-8")
    searched = re.search(r'^checkpoints="\$\{FLINK_CHECKPOINTS_DIR:-(\S+)\}"$', submit_script, re.MULTILINE).group(1)
    assert checkpointing["dir"] == f"file://{searched}"


def test_checkpoints_outlive_a_cancelled_job(rendered: dict[str, Any]) -> None:
    """submit-job.sh resumes from a retained checkpoint; Flink must keep them for it to find one."""
    assert rendered["execution"]["checkpointing"]["externalized-checkpoint-retention"] == "RETAIN_ON_CANCELLATION"


def test_main_writes_a_loadable_file(renderer: ModuleType, rendered: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "conf" / "config.yaml"
    assert renderer.main([str(LOCAL_CONFIG), str(target)]) == 0
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == rendered
    assert renderer.main([str(LOCAL_CONFIG)]) == 2
