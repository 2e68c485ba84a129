"""``iot-stack-status``'s health checks, without the services."""

from __future__ import annotations

import socket

import pytest

from infra import status
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
