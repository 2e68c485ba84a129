"""Typed settings from IOT_* environment variables, with local defaults."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from settings import Settings, configure_logging, read_secret


def test_defaults_point_at_the_local_stack() -> None:
    settings = Settings.from_env({})
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.kafka.topics == ("sensor.readings", "sensor.readings.rejected", "sensor.readings.late")
    assert (settings.cassandra.host, settings.cassandra.port, settings.cassandra.keyspace) == ("127.0.0.1", 9042, "iot")
    assert settings.flink.rest_url == "http://127.0.0.1:8081"
    assert settings.rules.max_temperature == 70.0
    assert settings.kafka.client_options() == {"bootstrap_servers": ["127.0.0.1:9092"]}


def test_environment_overrides_with_types() -> None:
    settings = Settings.from_env(
        {
            "IOT_KAFKA_BOOTSTRAP_SERVERS": "a:1,b:2",
            "IOT_KAFKA_PARTITIONS": "8",
            "IOT_RULES_MIN_TEMPERATURE": "-50.5",
            "IOT_RULES_TIMEZONE": "Europe/Paris",
            "IOT_CASSANDRA_PORT": "9142",
        }
    )
    assert settings.kafka.client_options()["bootstrap_servers"] == ["a:1", "b:2"]
    assert settings.kafka.partitions == 8
    assert settings.rules.min_temperature == -50.5
    assert settings.rules.timezone == "Europe/Paris"
    assert settings.cassandra.port == 9142


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("0", False), ("on", True), ("False", False)])
def test_booleans(raw: str, expected: bool) -> None:
    from settings import _coerce

    assert _coerce(raw, bool, "X") is expected


@pytest.mark.parametrize(("name", "raw"), [("IOT_KAFKA_PARTITIONS", "many"), ("IOT_RULES_MAX_TEMPERATURE", "hot")])
def test_bad_values_name_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: raw})


def test_bad_boolean_is_rejected() -> None:
    from settings import _coerce

    with pytest.raises(ValueError, match="IOT_X"):
        _coerce("maybe", bool, "IOT_X")


def test_secrets_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("s3cret\n", encoding="utf-8")
    assert read_secret({"P": "direct"}, "P") == "direct"
    assert read_secret({"P_FILE": str(secret_file)}, "P") == "s3cret"
    assert read_secret({}, "P") is None


def test_sasl_and_cassandra_auth_from_environment(tmp_path: Path) -> None:
    secret_file = tmp_path / "cassandra-password"
    secret_file.write_text("cpw", encoding="utf-8")
    settings = Settings.from_env(
        {
            "IOT_KAFKA_SASL_USERNAME": "pipeline",
            "IOT_KAFKA_SASL_PASSWORD": "kpw",
            "IOT_CASSANDRA_USERNAME": "pipeline",
            "IOT_CASSANDRA_PASSWORD_FILE": str(secret_file),
        }
    )
    options = settings.kafka.client_options()
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == "kpw"
    assert settings.cassandra.password == "cpw"
    assert "kpw" not in repr(settings) and "cpw" not in repr(settings)


def test_configure_logging_quiets_client_libraries() -> None:
    configure_logging(logging.DEBUG)
    assert logging.getLogger("kafka").level == logging.WARNING
    assert logging.getLogger("cassandra").level == logging.WARNING
