"""The stand-ins of docker/standins/ that can run outside an image: the uv script, the Flink entrypoint;
and the Kafka scripts the deployment calls, which the Kafka stand-in must have."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

UV = Path(__file__).resolve().parents[2] / "docker" / "standins" / "uv.sh"


def uv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(UV), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_uv_python_install_notes_the_interpreter_instead_of_downloading(tmp_path: Path) -> None:
    done = uv("python", "install", "3.11", env={"UV_PYTHON_INSTALL_DIR": str(tmp_path / "python")})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "python" / "standin-debian-python").read_text().startswith("Python 3.11")


def test_uv_venv_makes_a_venv_with_pip(tmp_path: Path) -> None:
    done = uv("venv", "--seed", "--python", "3.11", str(tmp_path / "venv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "venv" / "bin" / "pip").exists()


def test_uv_refuses_what_it_does_not_stand_in_for(tmp_path: Path) -> None:
    for args in (["pip", "install", "x"], ["python", "install", "3.12"], ["venv", "--seed", "--python", "3.11", "a", "b"]):
        done = uv(*args)
        assert done.returncode == 2, args
        assert "uv stand-in" in done.stderr


STANDINS = UV.parent
FLINK_ENTRYPOINT = STANDINS / "flink-entrypoint.sh"


def fake_flink_home(home: Path) -> Path:
    """bin/ scripts that write their arguments, one a line, to a file named after them."""
    (home / "bin").mkdir(parents=True)
    for name in ("config-parser-utils.sh", "jobmanager.sh", "taskmanager.sh"):
        script = home / "bin" / name
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{home}/{name}.args"\n')
        script.chmod(0o755)
    return home


def entrypoint(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(FLINK_ENTRYPOINT), *args], capture_output=True, text=True,
                          env={**os.environ, "FLINK_HOME": str(home), **env})


def test_flink_entrypoint_points_a_jobmanager_at_its_address_and_runs_it_in_the_foreground(tmp_path: Path) -> None:
    home = fake_flink_home(tmp_path)
    done = entrypoint(home, "jobmanager", JOB_MANAGER_RPC_ADDRESS="jobmanager",
                      FLINK_PROPERTIES="taskmanager.numberOfTaskSlots: 4\n# a.comment: 1\n")
    assert done.returncode == 0, done.stderr
    options = (home / "config-parser-utils.sh.args").read_text().splitlines()[3:]
    assert options == ["-D", "jobmanager.rpc.address=jobmanager", "-D", "blob.server.port=6124",
                       "-D", "taskmanager.numberOfTaskSlots=4"]
    assert (home / "jobmanager.sh.args").read_text().splitlines() == ["start-foreground"]


def test_flink_entrypoint_starts_a_taskmanager_and_runs_any_other_command_as_given(tmp_path: Path) -> None:
    home = fake_flink_home(tmp_path)
    assert entrypoint(home, "taskmanager", JOB_MANAGER_RPC_ADDRESS="jobmanager").returncode == 0
    assert (home / "taskmanager.sh.args").read_text().splitlines() == ["start-foreground"]
    other = entrypoint(home, "echo", "iot-provision")
    assert (other.returncode, other.stdout) == (0, "iot-provision\n")
    assert not (home / "jobmanager.sh.args").exists()


def test_every_kafka_script_the_deployment_calls_has_a_stand_in() -> None:
    """compose.yaml's healthcheck and docker/kafka/start.sh call the image's scripts by path."""
    docker = STANDINS.parent
    callers = [docker / "compose.yaml", *sorted((docker / "kafka").glob("*.sh"))]
    called = {name for path in callers for name in re.findall(r"/opt/kafka/bin/([\w.-]+)", path.read_text(encoding="utf-8"))}
    assert {"kafka-storage.sh", "kafka-server-start.sh", "kafka-broker-api-versions.sh"} <= called
    assert called <= {path.name for path in (STANDINS / "kafka" / "bin").iterdir()}
