"""The files mounted into the Kafka, Cassandra and submit containers, and docker/make-secrets.sh."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import compose_checks
from tests.deploy.conftest import DOCKER, ROOT

SCRIPTS = sorted(DOCKER.rglob("*.sh"))
# Keys where the container node must differ from the local one: addresses, security, storage.
KAFKA_NODE_KEYS = {
    "controller.quorum.voters", "listeners", "advertised.listeners", "listener.security.protocol.map",
    "inter.broker.listener.name", "sasl.enabled.mechanisms", "log.dirs",
}  # fmt: skip


def properties(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """NAME -> (host, port) of a Kafka listeners value."""
    found = re.findall(r"(\w+)://([^:,]*):(\d+)", value)
    return {name: (host, int(port)) for name, host, port in found}


@pytest.fixture(scope="module")
def kafka_config() -> dict[str, str]:
    return properties(DOCKER / "kafka" / "server.properties")


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.name for path in SCRIPTS])
def test_shell_scripts_parse(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_kafka_node_settings_match_the_local_stack(kafka_config: dict[str, str]) -> None:
    local = properties(ROOT / "stack" / "kafka" / "server.properties")
    shared = {key: value for key, value in local.items() if key not in KAFKA_NODE_KEYS}
    assert {key: kafka_config.get(key) for key in shared} == shared


def test_kafka_clients_must_authenticate(kafka_config: dict[str, str]) -> None:
    """Every listener reachable from outside the container is SASL, each with a JAAS login module."""
    protocols = dict(item.split(":") for item in kafka_config["listener.security.protocol.map"].split(","))
    for name, (host, _port) in listeners(kafka_config["listeners"]).items():
        if host != "127.0.0.1":
            assert protocols[name] == "SASL_PLAINTEXT", name
            assert kafka_config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
            assert "ScramLoginModule required" in kafka_config[f"listener.name.{name.lower()}.scram-sha-512.sasl.jaas.config"]


def test_kafka_addresses_agree_with_compose_and_settings(kafka_config: dict[str, str], compose_file: dict[str, Any]) -> None:
    kafka = compose_file["services"]["kafka"]
    bound = listeners(kafka_config["listeners"])
    advertised = listeners(kafka_config["advertised.listeners"])
    # Containers use the CLIENT listener at the bootstrap address our settings are given.
    client_env = compose_checks.environment(compose_file["services"]["ingest"])
    assert f"{kafka['hostname']}:{bound['CLIENT'][1]}" == client_env["IOT_KAFKA_BOOTSTRAP_SERVERS"]
    assert advertised["CLIENT"] == (kafka["hostname"], bound["CLIENT"][1])
    # The host reaches HOST through the published port, which is also what it is told to use.
    host_ip, published, target = kafka["ports"][0].split(":")
    assert int(target) == bound["HOST"][1]
    assert advertised["HOST"] == (host_ip, int(published))
    # The healthcheck asks the loopback BROKER listener, which needs no credential.
    assert kafka["healthcheck"]["test"][-1] == "{}:{}".format(*bound["BROKER"])


def test_kafka_start_script_uses_the_mounted_files(compose_file: dict[str, Any]) -> None:
    kafka = compose_file["services"]["kafka"]
    script = (DOCKER / "kafka" / "start.sh").read_text(encoding="utf-8")
    config_line = re.search(r"^config=(\S+)$", script, re.MULTILINE)
    data_dir_line = re.search(r"^data_dir=(\S+)$", script, re.MULTILINE)
    assert config_line and data_dir_line
    config, data_dir = config_line.group(1), data_dir_line.group(1)
    assert compose_checks.mounted_configs(kafka)["kafka_server_properties"] == config
    assert compose_checks.named_volumes(kafka)["kafka-data"] == data_dir
    assert properties(DOCKER / "kafka" / "server.properties")["log.dirs"] == data_dir


@pytest.fixture
def cassandra_home(tmp_path: Path) -> Path:
    """A stand-in for the cassandra image: a conf folder and a docker-entrypoint.sh that reports."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "bin").mkdir()
    entrypoint = tmp_path / "bin" / "docker-entrypoint.sh"
    entrypoint.write_text('#!/bin/sh\necho "handed over: $*"\n', encoding="utf-8")
    entrypoint.chmod(0o755)
    return tmp_path


def run_cassandra_entrypoint(home: Path, yaml_text: str) -> tuple[subprocess.CompletedProcess[str], str]:
    config = home / "conf" / "cassandra.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    env = {**os.environ, "CASSANDRA_CONF": str(home / "conf"), "PATH": f"{home / 'bin'}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", str(DOCKER / "cassandra" / "entrypoint.sh"), "cassandra", "-f"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result, config.read_text(encoding="utf-8")


def auth_classes(config: dict[str, Any]) -> tuple[str, str]:
    def class_of(value: Any) -> str:
        return value["class_name"] if isinstance(value, dict) else value

    return class_of(config["authenticator"]), class_of(config["authorizer"])


@pytest.mark.parametrize(
    "original",
    [
        (ROOT / "stack" / "cassandra" / "cassandra.yaml").read_text(encoding="utf-8"),
        "cluster_name: x\nauthenticator:\n  class_name : org.apache.cassandra.auth.AllowAllAuthenticator\n"
        "#  class_name: org.apache.cassandra.auth.MutualTlsAuthenticator\n"
        "authorizer:\n  class_name: AllowAllAuthorizer\nrole_manager:\n  class_name: CassandraRoleManager\n",
    ],
    ids=["one-line-form", "class-name-form"],
)
def test_cassandra_entrypoint_turns_on_authentication(cassandra_home: Path, original: str) -> None:
    result, edited = run_cassandra_entrypoint(cassandra_home, original)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "handed over: cassandra -f"
    assert auth_classes(yaml.safe_load(edited)) == (
        "org.apache.cassandra.auth.PasswordAuthenticator",
        "org.apache.cassandra.auth.CassandraAuthorizer",
    )
    assert len(edited.splitlines()) == len(original.splitlines())
    changed = [pair for pair in zip(original.splitlines(), edited.splitlines(), strict=True) if pair[0] != pair[1]]
    assert len(changed) == 2


def test_cassandra_entrypoint_stops_when_it_cannot_turn_authentication_on(cassandra_home: Path) -> None:
    result, _ = run_cassandra_entrypoint(cassandra_home, "cluster_name: x\nauthorizer: AllowAllAuthorizer\n")
    assert result.returncode != 0
    assert "handed over" not in result.stdout
    assert "could not set authenticator" in result.stderr


def test_make_secrets_creates_only_what_is_missing(tmp_path: Path, compose_file: dict[str, Any]) -> None:
    shutil.copy(DOCKER / "make-secrets.sh", tmp_path)
    # Only the templates: real secret files of this checkout stay where they are.
    def templates_only(_folder: str, names: list[str]) -> list[str]:
        return [name for name in names if not name.endswith(".example")]

    shutil.copytree(DOCKER / "secrets", tmp_path / "secrets", ignore=templates_only)
    examples = sorted(path.name.removesuffix(".example") for path in (tmp_path / "secrets").glob("*.example"))
    assert examples == sorted(Path(spec["file"]).name for spec in compose_file["secrets"].values())
    (tmp_path / "secrets" / "kafka_password").write_text("chosen-by-hand\n", encoding="utf-8")

    subprocess.run(["bash", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    values = {name: (tmp_path / "secrets" / name).read_text(encoding="utf-8") for name in examples}
    assert values.pop("kafka_password") == "chosen-by-hand\n"
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in values.values()), values
    assert len(set(values.values())) == len(values)
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert all(stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode) == 0o644 for name in values)

    subprocess.run(["bash", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    assert {name: (tmp_path / "secrets" / name).read_text(encoding="utf-8") for name in values} == values


def test_generated_secrets_suit_kafka_scram() -> None:
    """start.sh refuses passwords outside its alphabet; make-secrets.sh must never produce one."""
    script = (DOCKER / "kafka" / "start.sh").read_text(encoding="utf-8")
    test = re.search(r'=~ (\^\[[^\]]+\]\+\$)', script)
    assert test, "start.sh tests passwords against an alphabet"
    alphabet = test.group(1)
    assert re.fullmatch(alphabet, "0123456789abcdef" * 2)
    assert not re.fullmatch(alphabet, "has,comma") and not re.fullmatch(alphabet, 'has"quote')


@pytest.fixture
def submit_env(tmp_path: Path) -> dict[str, str]:
    """Stand-ins for the image: `python -m jobs.running_job` answers from FAKE_RUNNING_JOB, and
    iot-submit prints its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {
        "python": '#!/bin/sh\n[ -n "$FAKE_RUNNING_JOB" ] && echo "$FAKE_RUNNING_JOB"\n',
        "iot-submit": '#!/bin/sh\necho "iot-submit $*"\n',
    }
    for name, text in fakes.items():
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_RUNNING_JOB": "",
    }


def run_submit(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["bash", str(DOCKER / "flink" / "submit-job.sh"), *args], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_submit_leaves_a_running_job_alone(submit_env: dict[str, str]) -> None:
    output = run_submit({**submit_env, "FAKE_RUNNING_JOB": "a" * 32})
    assert "already running" in output and "iot-submit" not in output


def test_submit_leaves_resuming_to_iot_submit(submit_env: dict[str, str]) -> None:
    """One resume policy (jobs/checkpoints.py): the script passes where the flink-state volume is."""
    output = run_submit(submit_env, "--parallelism", "2").splitlines()[-1]
    assert output == ("iot-submit --job hourly --jobmanager jobmanager:8081 --conf-dir /opt/flink/conf "
                      "--var-dir /var/lib/iot --parallelism 2")
