"""Every listener of the local stack is on loopback, read from the configurations (no service started).

Flink: its bind-hosts and the REST bind-address (the RPC, blob, data and query-service ports follow
them), and no metrics reporter with a port (Flink 2.2.1's Prometheus reporter cannot be bound to a
host): it pushes to the monitoring's Pushgateway. Kafka: its listeners. Cassandra: its listen and
RPC addresses, and JMX local only. Our own: the mock API and the poller's metrics, and the
monitoring (Prometheus and what it scrapes). What stays on every interface (PyFlink's Beam gRPC
servers) is a documented limit: docs/local-stack.md.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from settings import Settings, values

ROOT = Path(__file__).resolve().parents[2]


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def flatten(config: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@pytest.fixture(scope="module")
def flink() -> dict[str, Any]:
    text = (ROOT / "flink-conf" / "config.yaml").read_text(encoding="utf-8")
    return dict(flatten(yaml.safe_load(re.sub(r"@(\w+)@", r"PLACEHOLDER-\1", text))))


def test_flink_binds_its_servers_to_loopback(flink: dict[str, Any]) -> None:
    """Without a bind-host, the JobManager's and TaskManager's servers listen on 0.0.0.0."""
    required = ("jobmanager.bind-host", "taskmanager.bind-host", "rest.bind-address")
    assert {key: flink.get(key) for key in required} == dict.fromkeys(required, "127.0.0.1")
    addresses = {key: value for key, value in flink.items() if re.search(r"(bind-host|bind-address|address|\.host)$", key)}
    assert len(addresses) >= 6 and all(loopback(str(value)) for value in addresses.values()), addresses


def test_flink_runs_no_metrics_reporter_that_listens(flink: dict[str, Any]) -> None:
    """The Prometheus reporter (and JMX's) take a port and no host: they would listen on every interface.
    The one reporter pushes to the local Pushgateway instead."""
    factories = {key: value for key, value in flink.items()
                 if key.startswith("metrics.reporter") and key.endswith("factory.class")}
    assert factories == {"metrics.reporter.promgateway.factory.class":
                         "org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporterFactory"}
    assert not [key for key in flink if key.startswith("metrics.reporter") and key.endswith(".port")]
    assert loopback(urlsplit(flink["metrics.reporter.promgateway.hostUrl"]).hostname or "")


def test_the_monitoring_listens_and_scrapes_on_loopback() -> None:
    """Prometheus, the Pushgateway, the node exporter, the Kafka probe and the JMX exporter agents
    (scripts/stack.sh), and every target of the local Prometheus."""
    script = (ROOT / "scripts" / "stack.sh").read_text(encoding="utf-8")
    listeners = re.findall(r'--(?:web\.listen-address|address)[= ]"([^"]+)"', script)
    assert len(listeners) == 4 and all(address.startswith("127.0.0.1:") for address in listeners), listeners
    assert '-javaagent:$jar=127.0.0.1:$1:' in script
    config = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = [target for job in config["scrape_configs"] for static in job["static_configs"] for target in static["targets"]]
    assert len(targets) == 7 and all(loopback(values.address(target)[0]) for target in targets), targets


def test_kafka_listens_and_advertises_on_loopback() -> None:
    lines = (ROOT / "stack" / "kafka" / "server.properties").read_text(encoding="utf-8").splitlines()
    properties = dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    urls = [url for key in ("listeners", "advertised.listeners") for url in properties[key].split(",")]
    voters = [voter.split("@", 1)[1] for voter in properties["controller.quorum.voters"].split(",")]
    hosts = [urlsplit(url).hostname for url in urls] + [values.address(voter)[0] for voter in voters]
    assert len(hosts) >= 4 and all(host and loopback(host) for host in hosts), hosts


def test_cassandra_listens_on_loopback_and_its_jmx_is_local() -> None:
    config = yaml.safe_load((ROOT / "stack" / "cassandra" / "cassandra.yaml").read_text(encoding="utf-8"))
    assert loopback(config["listen_address"]) and loopback(config["rpc_address"])
    assert not {"listen_interface", "rpc_interface", "broadcast_address", "broadcast_rpc_address"} & config.keys()
    options = (ROOT / "stack" / "cassandra" / "jvm17.options").read_text(encoding="utf-8").splitlines()
    assert "-Dcassandra.jmx.local.port=7199" in options  # JMX on loopback only
    assert not [line for line in options if re.search(r"-D(cassandra\.jmx\.remote|com\.sun\.management\.jmxremote)", line)]


def test_our_own_listeners_default_to_loopback() -> None:
    settings = Settings.from_env({})
    assert loopback(settings.sensor_api.mock_host)
    assert loopback(values.address(settings.ingest.metrics_address)[0])
    assert loopback(urlsplit(settings.flink.rest_url).hostname or "")
