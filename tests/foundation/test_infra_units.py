"""Provisioning, health checks and job submission, without the services."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra import status
from jobs import submit
from settings import CassandraSettings, FlinkSettings, KafkaSettings, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_stopped_services_are_reported_down_quickly() -> None:
    port = free_port()
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}"),
        cassandra=CassandraSettings(port=port),
        flink=FlinkSettings(rest_url=f"http://127.0.0.1:{port}"),
    )
    assert not status.kafka_up(settings)
    assert not status.cassandra_up(settings)
    assert not status.flink_up(settings)


def test_status_command_prints_one_line_per_service(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(status.CHECKS, "kafka", lambda settings: True)
    monkeypatch.setitem(status.CHECKS, "cassandra", lambda settings: False)
    monkeypatch.setitem(status.CHECKS, "flink", lambda settings: True)
    assert status.main([]) == 1
    assert capsys.readouterr().out.split() == ["kafka", "up", "cassandra", "down", "flink", "up"]
    assert status.main(["--quiet", "kafka", "flink"]) == 0
    assert capsys.readouterr().out == ""


def test_flink_run_command_ships_packages_and_connector() -> None:
    command = submit.flink_run_command(
        submit.JOBS["smoke"], "jm:8081", "/venv/python", parallelism=2, savepoint="file:///sp", job_args=["--topic", "t"]
    )
    assert command[1:3] == ["run", "--detached"]
    assert command[command.index("--jobmanager") + 1] == "jm:8081"
    assert command[command.index("--jarfile") + 1].endswith(".jar")
    shipped = command[command.index("--pyFiles") + 1].split(",")
    assert {Path(p).name for p in shipped} == {"settings"}  # all the smoke job imports
    assert command[command.index("--parallelism") + 1] == "2"
    assert command[command.index("--fromSavepoint") + 1] == "file:///sp"
    assert command[-2:] == ["--topic", "t"]


def test_missing_connector_jar_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="bootstrap"):
        submit.connector_jar(tmp_path)


def test_failed_submission_shows_flink_output(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="flink run failed"):
        submit.submit(["false"], tmp_path)


def test_submit_main_prints_the_job_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, list[str]] = {}

    def fake_submit(command: list[str], conf_dir: Path) -> str:
        seen["command"] = command
        return "0" * 32

    monkeypatch.setattr(submit, "submit", fake_submit)
    monkeypatch.setattr(submit, "running_job_id", lambda rest_url, name: None)
    monkeypatch.setattr(submit, "wait_until_running", lambda rest_url, job_id, timeout_s: None)
    (tmp_path / "config.yaml").touch()
    assert submit.main(["--job", "smoke", "--conf-dir", str(tmp_path), "--parallelism", "2", "--", "--topic", "x"]) == 0
    assert capsys.readouterr().out.strip() == "0" * 32
    assert seen["command"][-2:] == ["--topic", "x"]
