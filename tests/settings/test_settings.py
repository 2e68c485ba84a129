"""Typed settings from IOT_* environment variables, with local defaults."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pytest

from settings import Settings, SettingsError, configure_logging, number_range, read_secret


def test_defaults_point_at_the_local_stack() -> None:
    settings = Settings.from_env({})
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.kafka.topics == (
        "sensor.readings", "sensor.readings.rejected", "sensor.readings.late", "sensor.region_hourly_means"
    )
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


def numeric_variables() -> list[tuple[str, type]]:
    """IOT_<SECTION>_<FIELD> and its type, for every int and float setting."""
    return [(f"IOT_{section.name}_{item.name}".upper(), get_type_hints(section_type)[item.name])
            for section in fields(Settings) for section_type in [get_type_hints(Settings)[section.name]]
            for item in fields(section_type) if get_type_hints(section_type)[item.name] in (int, float)]


def wrong_numbers() -> list[tuple[str, str]]:
    cases = []
    for name, kind in numeric_variables():
        low, high = number_range(name)
        cases += [(name, raw) for raw in ("abc", "nan", "inf", "-inf", "1e999", "", "²", "1_0x")]
        cases += [(name, "1.5")] if kind is int else []
        cases += [(name, repr(low - 1 if kind is int else low - 0.001)), (name, repr(high + 1))] if low > -math.inf else []
    return cases


def test_every_numeric_variable_is_checked() -> None:
    assert len(numeric_variables()) >= 20


@pytest.mark.parametrize(("name", "raw"), wrong_numbers())
def test_a_wrong_number_names_its_variable_in_one_line(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: raw})
    message = str(error.value)
    assert message.startswith(f"{name}={raw!r}: ") and "\n" not in message


@pytest.mark.parametrize("name", [name for name, _ in numeric_variables()])
def test_each_numeric_variable_takes_its_bounds(name: str) -> None:
    low, high = number_range(name)
    for bound in (low, high):
        if math.isfinite(bound):
            Settings.from_env({name: str(bound)})


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("IOT_CASSANDRA_PORT", "99999", "must be from 1 to 65535"),
        ("IOT_KAFKA_PARTITIONS", "0", "must be from 1 to 2147483647"),
        ("IOT_INGEST_POLL_INTERVAL_SECONDS", "0", "must be from 0.01 to 31622400"),
        ("IOT_INGEST_REQUEST_TIMEOUT_SECONDS", "-1", "must be from 0.01"),
        ("IOT_JOB_PARALLELISM", "99999999999", "must be from 0 to 32768"),
        ("IOT_JOB_RESULT_LATENCY_MS", "0", "must be from 1"),
        ("IOT_RULES_MIN_TEMPERATURE", "nan", "must be a finite number"),
        ("IOT_KAFKA_BOOTSTRAP_SERVERS", "nonsense", "not host:port"),
        ("IOT_KAFKA_BOOTSTRAP_SERVERS", "a:1,,b:2", "not host:port"),
        ("IOT_KAFKA_BOOTSTRAP_SERVERS", "kafka:99999", "the port must be from 1 to 65535"),
        ("IOT_KAFKA_BOOTSTRAP_SERVERS", "kafka:²", "not host:port"),
        ("IOT_KAFKA_READINGS_TOPIC", "readings; rm -rf /", "not a Kafka topic name"),
        ("IOT_KAFKA_LATE_TOPIC", "..", "not a Kafka topic name"),
        ("IOT_KAFKA_SASL_MECHANISM", "PLAIN", "must be SCRAM-SHA-256 or SCRAM-SHA-512"),
        ("IOT_CASSANDRA_HOST", "not a host", "not a host name or an IP address"),
        ("IOT_CASSANDRA_KEYSPACE", "iot; DROP KEYSPACE x", "not a Cassandra keyspace name"),
        ("IOT_CASSANDRA_KEYSPACE", "Iot", "not a Cassandra keyspace name"),
        ("IOT_CASSANDRA_KEYSPACE", "1iot", "not a Cassandra keyspace name"),
        ("IOT_CASSANDRA_KEYSPACE", "", "not a Cassandra keyspace name"),
        ("IOT_CASSANDRA_KEYSPACE", "a" * 49, "not a Cassandra keyspace name"),
        ("IOT_CASSANDRA_DATACENTER", "dc1': 3, 'x", "not a Cassandra datacenter name"),
        ("IOT_CASSANDRA_CONSISTENCY", "local_quorum", "not a consistency level"),
        ("IOT_CASSANDRA_CONSISTENCY", "SERIAL", "not a consistency level"),
        ("IOT_FLINK_REST_URL", "127.0.0.1:8081", "not an http:// or https:// URL"),
        ("IOT_SENSOR_API_URL", "file:///etc/passwd", "not an http:// or https:// URL"),
        ("IOT_SENSOR_API_URL", "ftp://example.org/x", "not an http:// or https:// URL"),
        ("IOT_SENSOR_API_URL", "http:///no-host", "the URL has no host"),
        ("IOT_SENSOR_API_URL", "http://example.org:99999/x", "not a URL"),
        ("IOT_SENSOR_API_URL", "http://example.org/a b", "a space or a control character"),
        ("IOT_SENSOR_API_MOCK_HOST", "0.0.0.0:80", "not a host name or an IP address"),
        ("IOT_RULES_TIMEZONE", "Mars/Olympus", "not a time zone name"),
        ("IOT_RULES_TIMEZONE", "../../etc/passwd", "not a time zone name"),
        ("IOT_INGEST_METRICS_ADDRESS", "nonsense", "not host:port"),
        ("IOT_INGEST_STAMP_FETCH_TIME", "maybe", "not a boolean"),
    ],
)
def test_a_wrong_text_says_what_it_should_be(name: str, raw: str, reason: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: raw})
    assert str(error.value).startswith(f"{name}={raw!r}: ") and reason in str(error.value)


@pytest.mark.parametrize(
    ("name", "raw"),
    [("IOT_KAFKA_BOOTSTRAP_SERVERS", "[::1]:9092,kafka-0.kafka:9093"), ("IOT_INGEST_METRICS_ADDRESS", ""),
     ("IOT_INGEST_METRICS_ADDRESS", "127.0.0.1:0"), ("IOT_SENSOR_API_MOCK_HOST", "::1"), ("IOT_SENSOR_API_MOCK_PORT", "0"),
     ("IOT_FLINK_REST_URL", "https://[::1]:8081"), ("IOT_RULES_TIMEZONE", "Europe/Paris"), ("IOT_JOB_PARALLELISM", "0"),
     ("IOT_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256"), ("IOT_RULES_MIN_TEMPERATURE", "-273.15"),
     ("IOT_CASSANDRA_KEYSPACE", "e2e_" + "a" * 44), ("IOT_CASSANDRA_DATACENTER", "europe-west9_dc1"),
     ("IOT_CASSANDRA_CONSISTENCY", "LOCAL_QUORUM")],
)
def test_right_values_pass(name: str, raw: str) -> None:
    Settings.from_env({name: raw})


def test_control_characters_and_huge_values_are_shown_escaped_and_cut() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"IOT_KAFKA_PARTITIONS": "4\n\x1b[2J" + "9" * 10_000_000})
    message = str(error.value)
    assert message.startswith("IOT_KAFKA_PARTITIONS='4\\n\\x1b[2J999") and len(message) < 400 and "\x1b" not in message


def test_the_temperature_range_must_not_be_empty() -> None:
    with pytest.raises(SettingsError, match="IOT_RULES_MIN_TEMPERATURE .*must be below IOT_RULES_MAX_TEMPERATURE"):
        Settings.from_env({"IOT_RULES_MIN_TEMPERATURE": "80"})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda folder: folder / "missing", "cannot read it: No such file or directory"),
        (lambda folder: folder, "cannot read it: Is a directory"),
        (lambda folder: Path("/dev/zero"), "larger than 64 KiB, not a secret"),
        (lambda folder: write(folder / "latin1", b"caf\xe9 s3cret"), "not UTF-8 text"),
        (lambda folder: write(folder / "two-lines", b"s3cret\nX-Evil: 1\n"), "the secret holds a control character"),
    ],
)
def test_a_secret_file_that_cannot_be_used_is_named_and_its_content_never_shown(
        tmp_path: Path, make: Callable[[Path], Path], reason: str) -> None:
    path = make(tmp_path)
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"IOT_SENSOR_API_KEY_FILE": str(path)})
    assert str(error.value) == f"IOT_SENSOR_API_KEY_FILE={str(path)!r}: {reason}"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_secret_variable_with_a_newline_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"IOT_KAFKA_SASL_PASSWORD": "s3cret\r\n"})
    assert str(error.value) == "IOT_KAFKA_SASL_PASSWORD: the secret holds a control character"


def test_a_keyspace_given_in_code_is_checked_like_one_from_the_environment() -> None:
    """One check for the one name put into CQL text, whoever builds the settings."""
    from settings import CassandraSettings

    with pytest.raises(ValueError, match=r"^IOT_CASSANDRA_KEYSPACE='Iot': not a Cassandra keyspace name"):
        CassandraSettings(keyspace="Iot")
    assert CassandraSettings(keyspace="iot_test").keyspace == "iot_test"
