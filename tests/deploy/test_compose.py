"""docker/compose.yaml: valid Compose, and consistent with the project and with itself."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.deploy import compose_checks as checks
from tests.deploy.conftest import COMPOSE, DOCKER, ROOT

# Services run by our own image, and the command each starts.
OUR_COMMANDS = {
    "provision": "iot-provision",
    "jobmanager": "iot-stack-status",
    "submit": "iot-submit",
    "mock-api": "iot-mock-api",
    "ingest": "iot-ingest",
    "tools": "iot-stack-status",
}


def test_the_vendored_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json.loads(checks.SCHEMA.read_text(encoding="utf-8")))


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    assert checks.schema_errors(compose) == []


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(
            lambda doc: doc["services"]["ingest"]["depends_on"]["provision"].update(condition="service_done"),
            id="unknown-condition",
        ),
        pytest.param(lambda doc: doc["services"]["kafka"]["healthcheck"].update(intervall="10s"), id="misspelt-key"),
        pytest.param(lambda doc: doc["services"]["kafka"].update(ports={"9092": 9092}), id="ports-as-mapping"),
        pytest.param(lambda doc: doc["services"].update({"bad name!": {"image": "x"}}), id="invalid-service-name"),
        pytest.param(lambda doc: doc.update(service={}), id="unknown-top-level-key"),
    ],
)
def test_schema_rejects_a_broken_copy(compose: dict[str, Any], break_it: Callable[[dict[str, Any]], None]) -> None:
    break_it(compose)
    assert checks.schema_errors(compose)


def test_real_file_passes_every_semantic_check(compose: dict[str, Any], console_scripts: set[str]) -> None:
    assert checks.undeclared_dependencies(compose) == []
    assert checks.undeclared_resources(compose, DOCKER) == []
    assert checks.scripts_run_by_bash_are_mounted(compose) == []
    assert checks.unknown_console_scripts(compose, DOCKER, console_scripts) == []
    assert checks.unknown_variables(compose) == []
    assert checks.invalid_values(compose) == []
    assert checks.inlined_secrets(compose) == []
    assert checks.public_ports(compose) == []


def _service(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["services"][name]


@pytest.mark.parametrize(
    ("break_it", "check", "expected"),
    [
        (lambda d: _service(d, "ingest")["depends_on"].update(schema_registry={"condition": "service_started"}),
         lambda d: checks.undeclared_dependencies(d), "undefined service 'schema_registry'"),
        (lambda d: _service(d, "submit")["depends_on"].update(taskmanager={"condition": "service_healthy"}),
         lambda d: checks.undeclared_dependencies(d), "taskmanager has no healthcheck"),
        (lambda d: _service(d, "provision").update(restart="unless-stopped"),
         lambda d: checks.undeclared_dependencies(d), "provision is always restarted"),
        (lambda d: _service(d, "taskmanager")["volumes"].append("flink-savepoints:/savepoints"),
         lambda d: checks.undeclared_resources(d, DOCKER), "volume 'flink-savepoints' is not declared"),
        (lambda d: _service(d, "ingest")["secrets"].append("kafka_admin_password"),
         lambda d: checks.undeclared_resources(d, DOCKER), "secret 'kafka_admin_password' is not declared"),
        (lambda d: d["configs"]["kafka_start"].update(file="./kafka/missing.sh"),
         lambda d: checks.undeclared_resources(d, DOCKER), "./kafka/missing.sh does not exist"),
        (lambda d: d["secrets"].update(extra={"file": "./secrets/extra"}),
         lambda d: checks.undeclared_resources(d, DOCKER), "no ./secrets/extra.example template"),
        (lambda d: d["secrets"].update(extra={"environment": "EXTRA"}),
         lambda d: checks.undeclared_resources(d, DOCKER), "must come from a file"),
        (lambda d: _service(d, "submit").update(entrypoint=["bash", "/etc/iot/submit.sh"]),
         lambda d: checks.scripts_run_by_bash_are_mounted(d), "runs /etc/iot/submit.sh"),
        (lambda d: _service(d, "ingest").update(entrypoint=["iot-ingester"]),
         None, "runs iot-ingester"),
        (lambda d: _service(d, "ingest")["environment"].update(IOT_KAFKA_BOOTSTRAP_SERVER="kafka:9092"),
         lambda d: checks.unknown_variables(d), "IOT_KAFKA_BOOTSTRAP_SERVER is not read"),
        (lambda d: _service(d, "ingest")["environment"].update(IOT_KAFKA_PARTITIONS="four"),
         lambda d: checks.invalid_values(d), "IOT_KAFKA_PARTITIONS='four'"),
        (lambda d: _service(d, "ingest")["environment"].update(IOT_KAFKA_SASL_PASSWORD="hunter2"),
         lambda d: checks.inlined_secrets(d), "IOT_KAFKA_SASL_PASSWORD holds a credential inline"),
        (lambda d: _service(d, "mock-api")["environment"].update(IOT_CASSANDRA_PASSWORD_FILE="/run/secrets/cassandra_password"),
         lambda d: checks.inlined_secrets(d), "is not a secret mounted in this service"),
        (lambda d: _service(d, "kafka").update(ports=["9092:19092"]),
         lambda d: checks.public_ports(d), "port 9092:19092 is published"),
        (lambda d: _service(d, "jobmanager").update(ports=["0.0.0.0:8081:8081"]),
         lambda d: checks.public_ports(d), "published beyond"),
        (lambda d: _service(d, "mock-api").update(ports=[{"target": 8765, "published": 8765}]),
         lambda d: checks.public_ports(d), "published beyond"),
        (lambda d: _service(d, "cassandra").update(ports=["9042"]),
         lambda d: checks.public_ports(d), "port 9042 is published"),
    ],
    ids=[
        "missing-dependency", "healthy-without-healthcheck", "completion-of-a-restarted-service",
        "undeclared-volume", "undeclared-secret", "missing-config-file", "secret-without-template",
        "secret-from-environment", "script-not-mounted", "unknown-console-script", "unknown-variable",
        "invalid-value", "inline-secret", "secret-file-not-mounted", "port-on-all-interfaces",
        "port-on-0.0.0.0", "long-syntax-port-without-host-ip", "random-host-port",
    ],
)
def test_semantic_checks_catch_a_broken_copy(
    compose: dict[str, Any], console_scripts: set[str], break_it: Callable, check: Callable | None, expected: str
) -> None:
    break_it(compose)
    problems = check(compose) if check else checks.unknown_console_scripts(compose, DOCKER, console_scripts)
    assert any(expected in problem for problem in problems), problems


def test_each_service_of_our_image_runs_the_expected_command(compose: dict[str, Any], console_scripts: set[str]) -> None:
    used = checks.console_scripts_used(compose, DOCKER)
    for service, command in OUR_COMMANDS.items():
        assert command in used[service], f"{service} should run {command}"
        assert command in console_scripts, f"pyproject.toml installs no {command}"


def test_our_services_share_one_image_built_from_the_repository(compose: dict[str, Any]) -> None:
    ours = {name: compose["services"][name] for name in OUR_COMMANDS}
    assert len({(service["image"], json.dumps(service["build"], sort_keys=True)) for service in ours.values()}) == 1
    build = next(iter(ours.values()))["build"]
    assert (COMPOSE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_commands_in_shell_scripts_and_docs_exist(console_scripts: set[str]) -> None:
    """The mounted scripts and docs/deployment.md run no command that pyproject.toml lacks."""
    used = set()
    for script in DOCKER.rglob("*.sh"):
        used |= checks.console_scripts_in_shell(script.read_text(encoding="utf-8"))
    docs = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    used |= set(re.findall(r"--entrypoint (iot-[a-z-]+)", docs))
    assert "iot-submit" in used and {"iot-query", "iot-loadgen"} <= used
    assert used <= console_scripts, f"not in pyproject.toml [project.scripts]: {sorted(used - console_scripts)}"


def test_python_modules_run_with_dash_m_exist() -> None:
    for script in DOCKER.rglob("*.sh"):
        for module in re.findall(r"python -m ([\w.]+)", script.read_text(encoding="utf-8")):
            assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{script.name}: no module {module}"


def test_secret_files_are_git_ignored_but_their_templates_are_not(compose: dict[str, Any]) -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0

    for spec in compose["secrets"].values():
        secret = (DOCKER / spec["file"]).resolve().relative_to(ROOT).as_posix()
        assert ignored(secret), f"{secret} would be committed"
        assert not ignored(f"{secret}.example"), f"{secret}.example would not be committed"


def test_every_mounted_secret_is_read_by_its_service(compose: dict[str, Any]) -> None:
    """A secret mounted where no *_FILE variable names it is a credential handed out for nothing."""
    for name, service in compose["services"].items():
        named = {value for key, value in checks.environment(service).items() if key.endswith("_FILE")}
        mounted = set(checks.mounted_secrets(service).values())
        assert mounted <= named, f"{name} mounts secrets nothing reads: {sorted(mounted - named)}"
