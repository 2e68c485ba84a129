"""Typed settings of our Python code, read from ``IOT_*`` environment variables.

One place for every endpoint, topic and rule that more than one component shares, with
defaults that run against the local stack (``scripts/stack.sh``). Command-line flags of
each command override these values; Flink's own configuration lives in ``flink-conf/``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, get_type_hints

from settings import values

ENV_PREFIX = "IOT_"


def configure_logging(level: int = logging.INFO) -> None:
    """Our commands log one line per event; the Kafka and Cassandra clients only their warnings."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("kafka", "cassandra"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


class SettingsError(ValueError):
    """An ``IOT_*`` variable no command can use; the message names it, on one line."""


# A secret is a password or a key: a file larger than this is the wrong file (or /dev/zero).
MAX_SECRET_BYTES = 64 * 1024


def read_secret(environ: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (never from the repo).

    Errors name the variable and the file, never the secret.
    """
    secret = environ.get(name)
    source = name  # what the errors name
    path = environ.get(f"{name}_FILE")
    if not secret and path:
        source = where = f"{name}_FILE={values.shown(path)}"
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_SECRET_BYTES + 1)
        except OSError as error:
            raise SettingsError(f"{where}: cannot read it: {error.strerror or type(error).__name__}") from None
        if len(data) > MAX_SECRET_BYTES:
            raise SettingsError(f"{where}: larger than {MAX_SECRET_BYTES // 1024} KiB, not a secret")
        try:
            secret = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise SettingsError(f"{where}: not UTF-8 text") from None
    if not secret:
        return None
    if not secret.isprintable():  # a newline would also break the X-API-Key header
        raise SettingsError(f"{source}: the secret holds a control character")
    return secret


# Longer is a typo, and would overflow the clients' timers.
MAX_DURATION_SECONDS = 366 * 86400
# The range of each numeric variable that the unit in its name does not settle (below).
_NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "IOT_KAFKA_PARTITIONS": (1, values.JAVA_INT_MAX),
    "IOT_KAFKA_REPLICATION_FACTOR": (1, 32767),  # a Java short in Kafka's protocol
    "IOT_CASSANDRA_PORT": (1, values.MAX_PORT),
    "IOT_CASSANDRA_REPLICATION_FACTOR": (1, values.JAVA_INT_MAX),
    "IOT_RULES_MIN_TEMPERATURE": (-math.inf, math.inf),
    "IOT_RULES_MAX_TEMPERATURE": (-math.inf, math.inf),
    "IOT_RULES_MAX_ID_LENGTH": (1, values.JAVA_INT_MAX),
    "IOT_SENSOR_API_MOCK_PORT": (0, values.MAX_PORT),  # 0: any free port
    # Each paces a loop: zero would spin it.
    "IOT_INGEST_POLL_INTERVAL_SECONDS": (0.01, MAX_DURATION_SECONDS),
    "IOT_INGEST_REQUEST_TIMEOUT_SECONDS": (0.01, MAX_DURATION_SECONDS),
    "IOT_INGEST_MAX_BACKOFF_SECONDS": (0.01, MAX_DURATION_SECONDS),
    "IOT_JOB_PARALLELISM": (0, 32768),  # Flink's largest maximum parallelism
    "IOT_JOB_RESULT_LATENCY_MS": (1, MAX_DURATION_SECONDS * 1000),
    "IOT_DASHBOARD_PORT": (0, values.MAX_PORT),  # 0: any free port
    # Each bounds the dashboard's memory: zero would show nothing or refuse everyone.
    "IOT_DASHBOARD_MAX_CLIENTS": (1, 100_000),
    "IOT_DASHBOARD_CLIENT_QUEUE_EVENTS": (1, 1_000_000),
    "IOT_DASHBOARD_HOURS_KEPT": (1, 24 * 366),
    "IOT_DASHBOARD_KEEPALIVE_SECONDS": (0.1, 3600),
}


def number_range(name: str) -> tuple[float, float]:
    """Where the number in variable ``name`` must lie: its own range, else by its unit.

    A duration is 0 to MAX_DURATION_SECONDS; any other number is a count or a size: 0 to what
    a Java int holds.
    """
    if name in _NUMBER_RANGES:
        return _NUMBER_RANGES[name]
    if name.endswith("_SECONDS"):
        return 0, MAX_DURATION_SECONDS
    if name.endswith("_MS"):
        return 0, MAX_DURATION_SECONDS * 1000
    return 0, values.JAVA_INT_MAX


def _addresses(text: str) -> str:
    values.addresses(text)
    return text


def _metrics_address(text: str) -> str:
    if text:
        values.address(text, lowest_port=0)
    return text


def _sasl_mechanism(text: str) -> str:
    if text not in ("SCRAM-SHA-256", "SCRAM-SHA-512"):  # the job logs in with Kafka's ScramLoginModule
        raise ValueError("must be SCRAM-SHA-256 or SCRAM-SHA-512")
    return text


# The text variables that hold something with a shape (the others are names and paths).
_TEXT_CHECKS: dict[str, Callable[[str], Any]] = {
    "IOT_KAFKA_BOOTSTRAP_SERVERS": _addresses,
    "IOT_KAFKA_READINGS_TOPIC": values.topic_name,
    "IOT_KAFKA_REJECTED_TOPIC": values.topic_name,
    "IOT_KAFKA_LATE_TOPIC": values.topic_name,
    "IOT_KAFKA_RESULTS_TOPIC": values.topic_name,
    "IOT_KAFKA_SASL_MECHANISM": _sasl_mechanism,
    "IOT_CASSANDRA_HOST": values.host,
    "IOT_CASSANDRA_KEYSPACE": values.keyspace_name,
    "IOT_FLINK_REST_URL": values.http_url,
    "IOT_RULES_TIMEZONE": values.time_zone,
    "IOT_SENSOR_API_URL": values.http_url,
    "IOT_SENSOR_API_MOCK_HOST": values.host,
    "IOT_INGEST_METRICS_ADDRESS": _metrics_address,
    "IOT_DASHBOARD_HOST": values.host,
}


def _coerce(raw: str, kind: Any, name: str) -> Any:
    """The value of variable ``name`` as ``kind``; a SettingsError says what is wrong with it."""
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError("not a boolean: use true/false, yes/no, on/off or 1/0")
        if kind in (int, float):
            return values.bounded_number(raw, kind, *number_range(name))
        check = _TEXT_CHECKS.get(name)
        return check(raw) if check else raw
    except ValueError as error:
        raise SettingsError(f"{name}={values.shown(raw)}: {error}") from None


def _from_env(cls: type, environ: Mapping[str, str], section: str) -> Any:
    """Build dataclass ``cls`` from ``IOT_<SECTION>_<FIELD>`` variables, keeping defaults."""
    hints = get_type_hints(cls)
    settings = {}
    for item in fields(cls):
        name = f"{ENV_PREFIX}{section}_{item.name}".upper()
        if name in environ and hints[item.name] in (str, int, float, bool):
            settings[item.name] = _coerce(environ[name], hints[item.name], name)
    try:
        return cls(**settings)
    except ValueError as error:  # a check of the dataclass itself (the keyspace's)
        raise SettingsError(values.one_line(str(error))) from None


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"
    readings_topic: str = "sensor.readings"
    rejected_topic: str = "sensor.readings.rejected"
    late_topic: str = "sensor.readings.late"
    # Compacted: the latest change of every result row (results/records.py).
    results_topic: str = "sensor.region_hourly_means"
    partitions: int = 4
    replication_factor: int = 1
    # SASL/SCRAM is off unless a user is given (the docker compose file turns it on).
    sasl_username: str = ""
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_password: str | None = field(default=None, repr=False)

    @property
    def topics(self) -> tuple[str, str, str, str]:
        return (self.readings_topic, self.rejected_topic, self.late_topic, self.results_topic)

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
    # The datacenter whose racks (zones) hold the replicas, with NetworkTopologyStrategy (dc1 on
    # Kubernetes); empty: SimpleStrategy, for the one-node local stack.
    datacenter: str = ""
    # Of every read and write: LOCAL_ONE on one node; LOCAL_QUORUM on three (a zone may be lost).
    consistency: str = "LOCAL_ONE"
    # PasswordAuthenticator is used only when a user is given.
    username: str = ""
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        checks = (("KEYSPACE", self.keyspace, values.keyspace_name), ("DATACENTER", self.datacenter, values.datacenter_name),
                  ("CONSISTENCY", self.consistency, values.consistency_level))
        for name, value, check in checks:
            try:
                check(value)
            except ValueError as error:
                raise ValueError(f"IOT_CASSANDRA_{name}={values.shown(value)}: {error}") from None


@dataclass(frozen=True)
class FlinkSettings:
    rest_url: str = "http://127.0.0.1:8081"


@dataclass(frozen=True)
class ReadingRules:
    """The validation rules of docs/contract.md §1.2, shared by ingestion and the job."""

    timezone: str = "UTC"
    min_temperature: float = -90.0
    max_temperature: float = 70.0
    future_margin_seconds: float = 600.0
    max_id_length: int = 128
    # Event times before January 1 of this year (UTC) are invalid_timestamp (IOT_RULES_EARLIEST_YEAR).
    earliest_year: int = 2000


@dataclass(frozen=True)
class SensorApiSettings:
    """The sensor REST API: where the poller calls it, and where the local mock serves it."""

    url: str = "http://127.0.0.1:8765/sensor/temperatures"
    # Sent as X-API-Key; read from IOT_SENSOR_API_KEY or the file named by IOT_SENSOR_API_KEY_FILE.
    api_key: str | None = field(default=None, repr=False)
    mock_host: str = "127.0.0.1"
    mock_port: int = 8765


@dataclass(frozen=True)
class IngestSettings:
    """How the poller (``iot-ingest``) polls, retries, reports and keeps undelivered records."""

    poll_interval_seconds: float = 10.0
    request_timeout_seconds: float = 10.0
    max_backoff_seconds: float = 60.0
    # For sources whose timestamp is not an event time: stamp readings with the fetch time.
    stamp_fetch_time: bool = False
    # host:port of the Prometheus /metrics endpoint; empty turns it off.
    metrics_address: str = "127.0.0.1:9464"
    # Records still undelivered when a stop outlasts the shutdown timeout wait here for the next start.
    spool_dir: str = "var/ingest"
    shutdown_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class JobSettings:
    """The streaming job's rules of docs/contract.md §3 and its operational knobs."""

    name: str = "iot-hourly-region-means"
    consumer_group: str = "iot-hourly-region-means"
    # 0: the parallelism `flink run -p` or the cluster's parallelism.default gives.
    parallelism: int = 0
    out_of_orderness_seconds: int = 30
    allowed_lateness_seconds: int = 3 * 3600
    idle_partition_timeout_seconds: int = 30
    # How long results may wait before they are emitted: mini-batch latency of the aggregation.
    result_latency_ms: int = 1000
    # A mini-batch also closes after this many rows. The aggregation keeps one accumulator per
    # (hour, region), not the rows, so this only says how often a backlog rewrites the same
    # results: at 10,000 a replay rewrote each row a dozen times a second (docs/benchmarks.md).
    result_batch_rows: int = 200_000
    # Cassandra writes are retried with backoff for this long, then the task fails and restarts.
    sink_retry_seconds: float = 30.0
    # Test-only fault injection: the UDF raises once when this file exists, then deletes it.
    fail_once_marker: str = ""
    # Ids are remembered for lateness + out-of-orderness + this; a version of a forgotten id
    # counts as a new reading, so raise it when corrections come later than that.
    id_retention_extra_seconds: int = 0
    # Read the topic up to its latest offsets at the start, then finish: a backfill's run over a
    # replayed topic (docs/archive.md); the stream never ends.
    bounded: bool = False
    # One more statement: daily minimum, maximum and mean per region (a backfill turns it on; off
    # in the stream, whose throughput it would share).
    daily_aggregation: bool = False

    @property
    def id_retention_ms(self) -> int:
        """How long (event time) an id's last version is remembered past its event time."""
        return (self.allowed_lateness_seconds + self.out_of_orderness_seconds + self.id_retention_extra_seconds) * 1000


@dataclass(frozen=True)
class ArchiveSettings:
    """The Parquet archive of every message the job reads (docs/archive.md)."""

    # A directory (relative ones from where the job is submitted) or a filesystem URI: gs://bucket/archive.
    path: str = "var/archive"
    # A part file rolls at this size, and at every checkpoint (a bulk format cannot stay open across one).
    file_size: str = "128MB"
    # Off in a backfill's run: it reads a scratch topic of messages the archive already holds.
    enabled: bool = True


@dataclass(frozen=True)
class DashboardSettings:
    """``iot-dashboard``: where it listens, and the bounds that keep its memory flat (docs/dashboard.md)."""

    host: str = "127.0.0.1"
    port: int = 8050
    # Live pages at once; one more is answered 503.
    max_clients: int = 100
    # Events waiting for one page; a page that falls this far behind is dropped and reconnects.
    client_queue_events: int = 1000
    # Hours held in memory, counted back from the newest; records of older hours are ignored.
    hours_kept: int = 24
    # A comment line this often on each live page, so dead connections are noticed.
    keepalive_seconds: float = 15.0
    # Read the results topic read_committed: only changes whose checkpoint committed (seconds
    # late), instead of at once (a value a failure undid is then overwritten: docs/contract.md §2.6).
    read_committed: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything our code needs to reach the services and apply the reading rules."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    cassandra: CassandraSettings = field(default_factory=CassandraSettings)
    flink: FlinkSettings = field(default_factory=FlinkSettings)
    rules: ReadingRules = field(default_factory=ReadingRules)
    sensor_api: SensorApiSettings = field(default_factory=SensorApiSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    job: JobSettings = field(default_factory=JobSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the ``IOT_*`` variables of ``environ`` give; a SettingsError names the first wrong one."""
        env = os.environ if environ is None else environ
        kafka = replace(
            _from_env(KafkaSettings, env, "kafka"),
            sasl_password=read_secret(env, "IOT_KAFKA_SASL_PASSWORD"),
        )
        cassandra = replace(
            _from_env(CassandraSettings, env, "cassandra"),
            password=read_secret(env, "IOT_CASSANDRA_PASSWORD"),
        )
        rules = _from_env(ReadingRules, env, "rules")
        if not rules.min_temperature < rules.max_temperature:
            raise SettingsError(f"IOT_RULES_MIN_TEMPERATURE ({rules.min_temperature:g}) must be below "
                                f"IOT_RULES_MAX_TEMPERATURE ({rules.max_temperature:g})")
        return cls(
            kafka=kafka,
            cassandra=cassandra,
            flink=_from_env(FlinkSettings, env, "flink"),
            rules=rules,
            sensor_api=replace(
                _from_env(SensorApiSettings, env, "sensor_api"),
                api_key=read_secret(env, "IOT_SENSOR_API_KEY"),
            ),
            ingest=_from_env(IngestSettings, env, "ingest"),
            job=_from_env(JobSettings, env, "job"),
            dashboard=_from_env(DashboardSettings, env, "dashboard"),
            archive=_from_env(ArchiveSettings, env, "archive"),
        )
