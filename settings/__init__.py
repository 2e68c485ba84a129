"""Typed settings of our Python code, read from ``IOT_*`` environment variables.

One place for every endpoint, topic and rule that more than one component shares, with
defaults that run against the local stack (``scripts/stack.sh``). Command-line flags of
each command override these values; Flink's own configuration lives in ``flink-conf/``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, get_type_hints

ENV_PREFIX = "IOT_"


def configure_logging(level: int = logging.INFO) -> None:
    """Our commands log one line per event; the Kafka and Cassandra clients only their warnings."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("kafka", "cassandra"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


def read_secret(environ: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (never from the repo)."""
    if environ.get(name):
        return environ[name]
    path = environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return None


def _coerce(raw: str, kind: Any, name: str) -> Any:
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        return kind(raw)
    except ValueError as error:
        raise ValueError(f"{name}={raw!r} is not a valid {kind.__name__}") from error


def _from_env(cls: type, environ: Mapping[str, str], section: str) -> Any:
    """Build dataclass ``cls`` from ``IOT_<SECTION>_<FIELD>`` variables, keeping defaults."""
    hints = get_type_hints(cls)
    values = {}
    for item in fields(cls):
        name = f"{ENV_PREFIX}{section}_{item.name}".upper()
        if name in environ and hints[item.name] in (str, int, float, bool):
            values[item.name] = _coerce(environ[name], hints[item.name], name)
    return cls(**values)


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"
    readings_topic: str = "sensor.readings"
    rejected_topic: str = "sensor.readings.rejected"
    late_topic: str = "sensor.readings.late"
    partitions: int = 4
    replication_factor: int = 1
    # SASL/SCRAM is off unless a user is given (the docker compose file turns it on).
    sasl_username: str = ""
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_password: str | None = field(default=None, repr=False)

    @property
    def topics(self) -> tuple[str, str, str]:
        return (self.readings_topic, self.rejected_topic, self.late_topic)

    def client_options(self) -> dict[str, Any]:
        """Connection options shared by every kafka-python client we create."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers.split(",")}
        if self.sasl_username:
            options.update(
                security_protocol="SASL_PLAINTEXT",
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        return options


@dataclass(frozen=True)
class CassandraSettings:
    host: str = "127.0.0.1"
    port: int = 9042
    keyspace: str = "iot"
    replication_factor: int = 1
    # PasswordAuthenticator is used only when a user is given.
    username: str = ""
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FlinkSettings:
    rest_url: str = "http://127.0.0.1:8081"


@dataclass(frozen=True)
class ReadingRules:
    """The validation rules of PRODUCT.md section 1, shared by ingestion and the job."""

    timezone: str = "UTC"
    min_temperature: float = -90.0
    max_temperature: float = 70.0
    future_margin_seconds: float = 600.0
    max_id_length: int = 128


@dataclass(frozen=True)
class Settings:
    """Everything our code needs to reach the services and apply the reading rules."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    cassandra: CassandraSettings = field(default_factory=CassandraSettings)
    flink: FlinkSettings = field(default_factory=FlinkSettings)
    rules: ReadingRules = field(default_factory=ReadingRules)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        kafka = replace(
            _from_env(KafkaSettings, env, "kafka"),
            sasl_password=read_secret(env, "IOT_KAFKA_SASL_PASSWORD"),
        )
        cassandra = replace(
            _from_env(CassandraSettings, env, "cassandra"),
            password=read_secret(env, "IOT_CASSANDRA_PASSWORD"),
        )
        return cls(
            kafka=kafka,
            cassandra=cassandra,
            flink=_from_env(FlinkSettings, env, "flink"),
            rules=_from_env(ReadingRules, env, "rules"),
        )
