"""flink-conf/ is the one source of every Flink configuration: flink-conf/render.py renders the
Docker and Kubernetes ones from config.yaml and targets.yaml, and the rendered files are current."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.deploy import compose_checks
from tests.deploy.conftest import DOCKER, ROOT

FLINK_CONF = ROOT / "flink-conf"


@pytest.fixture(scope="module")
def renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render", FLINK_CONF / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def docker(renderer: ModuleType) -> dict[str, Any]:
    return renderer.render("docker")


@pytest.fixture(scope="module")
def kubernetes(renderer: ModuleType) -> dict[str, Any]:
    return renderer.render("kubernetes")


def test_the_rendered_files_are_current(renderer: ModuleType) -> None:
    assert renderer.stale_files() == [], "run: python flink-conf/render.py"
    assert renderer.main(["--check"]) == 0


def test_a_hand_edit_of_a_rendered_file_is_caught(renderer: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    edited = tmp_path / "config.yaml"
    edited.write_text(renderer.DOCKER_CONFIG.read_text(encoding="utf-8").replace("interval: 10s", "interval: 60s"))
    monkeypatch.setattr(renderer, "DOCKER_CONFIG", edited)
    assert renderer.stale_files() == [edited]
    assert renderer.main(["--check"]) == 1


def test_the_docker_file_is_the_docker_rendering(renderer: ModuleType, docker: dict[str, Any]) -> None:
    assert yaml.safe_load(renderer.DOCKER_CONFIG.read_text(encoding="utf-8")) == docker


def test_the_flink_deployment_carries_the_kubernetes_rendering(kubernetes: dict[str, Any]) -> None:
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "flink-deployment.yaml").read_text(encoding="utf-8"))
    conf = deployment["spec"]["flinkConfiguration"]
    assert conf == {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in kubernetes.items()}
    assert all(isinstance(value, str) for value in conf.values()), "the CRD's map takes strings only"


def test_every_target_keeps_the_cluster_settings_of_config_yaml(renderer: ModuleType) -> None:
    """Checkpointing, state backend, restarts, Python batches: one configuration everywhere."""
    source = renderer.flatten(yaml.safe_load(re.sub(r"@(\w+)@", "x", (FLINK_CONF / "config.yaml").read_text())))
    shared = {key: value for key, value in source.items()
              if key.startswith(("execution.checkpointing.", "state.", "restart-strategy.", "python.fn-execution."))
              and not key.endswith("dir")}
    assert "execution.checkpointing.interval" in shared
    for target in ("docker", "kubernetes"):
        rendered = renderer.render(target)
        assert {key: rendered.get(key) for key in shared} == shared, target


def test_nothing_is_left_on_loopback_or_unrendered(docker: dict[str, Any], kubernetes: dict[str, Any]) -> None:
    for rendered in (docker, kubernetes):
        leftovers = {key: value for key, value in rendered.items() if re.search(r"127\.0\.0\.1|localhost|@\w+@", str(value))}
        assert leftovers == {}


def test_a_placeholder_without_a_value_is_an_error(renderer: ModuleType) -> None:
    with pytest.raises(renderer.RenderError, match="no value for @PYTHON@"):
        renderer.fill("python: @PYTHON@", {"VAR_DIR": "/x"})


def test_an_overlay_that_removes_an_unknown_key_is_an_error(renderer: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = renderer.targets()
    targets["docker"]["remove"]["jobmanager.rpc.adress"] = "misspelt"
    monkeypatch.setattr(renderer, "targets", lambda: targets)
    with pytest.raises(renderer.RenderError, match="jobmanager.rpc.adress"):
        renderer.render("docker")


def test_the_local_rendering_fills_the_placeholders(renderer: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "config.yaml"
    assert renderer.main(["local", "/srv/iot-var", "/srv/venv/bin/python", str(output)]) == 0
    local = renderer.flatten(yaml.safe_load(output.read_text(encoding="utf-8")))
    assert local["execution.checkpointing.dir"] == "file:///srv/iot-var/flink/checkpoints"
    assert local["python.executable"] == "/srv/venv/bin/python"
    assert renderer.main(["local", "too few"]) == 2


def test_docker_servers_listen_on_the_container_network(docker: dict[str, Any]) -> None:
    for key in ("jobmanager.bind-host", "taskmanager.bind-host", "rest.bind-address"):
        assert docker[key] == "0.0.0.0"
    assert "taskmanager.host" not in docker, "each TaskManager must advertise its own address"


def test_docker_python_workers_use_the_image_virtualenv(docker: dict[str, Any]) -> None:
    python = docker["python.executable"]
    assert docker["python.client.executable"] == python
    venv = str(Path(python).parent.parent)
    assert f"uv venv --seed --python 3.11 {venv}" in (DOCKER / "Dockerfile").read_text(encoding="utf-8")


def test_docker_checkpoints_live_where_the_flink_services_and_iot_submit_find_them(
    docker: dict[str, Any], compose_file: dict[str, Any]
) -> None:
    for service in ("jobmanager", "taskmanager", "submit"):
        mount = compose_checks.named_volumes(compose_file["services"][service])["flink-state"]
        for key in ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir"):
            assert docker[key].startswith(f"file://{mount}/"), (service, key)
    # iot-submit resumes from VAR_DIR/flink/checkpoints (jobs/submit.py resume_point).
    script = shlex.split((DOCKER / "flink" / "submit-job.sh").read_text(encoding="utf-8").split("exec ", 1)[1])
    var_dir = script[script.index("--var-dir") + 1]
    assert docker["execution.checkpointing.dir"] == f"file://{var_dir}/flink/checkpoints"


def test_checkpoints_outlive_a_cancelled_job(docker: dict[str, Any], kubernetes: dict[str, Any]) -> None:
    """Resuming takes a retained checkpoint; Flink must keep them for it to find one."""
    for rendered in (docker, kubernetes):
        assert rendered["execution.checkpointing.externalized-checkpoint-retention"] == "RETAIN_ON_CANCELLATION"
