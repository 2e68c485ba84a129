"""Health checks of the local services, used by ``scripts/stack.sh`` and the tests.

A service counts as up only when it answers a real request (a metadata call, a CQL query,
the REST overview with a TaskManager registered), not merely when its port is open.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import urllib.parse
import urllib.request
from collections.abc import Callable

from settings import Settings


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """A cheap first test, so a stopped service is reported in a second, not after client retries."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def kafka_up(settings: Settings) -> bool:
    from kafka.admin import KafkaAdminClient

    host, _, port = settings.kafka.bootstrap_servers.split(",")[0].rpartition(":")
    if not port_open(host, int(port)):
        return False
    try:
        admin = KafkaAdminClient(
            client_id="iot-status", request_timeout_ms=5000, **settings.kafka.client_options()
        )
    except Exception:  # noqa: BLE001 - any failure to connect means "down"
        return False
    try:
        admin.describe_cluster()
        return True
    except Exception:  # noqa: BLE001 - any failure to answer means "down"
        return False
    finally:
        admin.close()


def cassandra_up(settings: Settings) -> bool:
    from results.session import connect

    if not port_open(settings.cassandra.host, settings.cassandra.port):
        return False
    try:
        session = connect(settings.cassandra, timeout=5)
    except Exception:  # noqa: BLE001 - any failure to connect means "down"
        return False
    try:
        return session.execute("SELECT release_version FROM system.local").one() is not None
    except Exception:  # noqa: BLE001 - any failure to answer means "down"
        return False
    finally:
        session.cluster.shutdown()


def flink_up(settings: Settings) -> bool:
    url = urllib.parse.urlsplit(settings.flink.rest_url)
    if not port_open(url.hostname or "127.0.0.1", url.port or 8081):
        return False
    try:
        with urllib.request.urlopen(f"{settings.flink.rest_url}/overview", timeout=5) as response:
            overview = json.load(response)
    except (OSError, ValueError):
        return False
    return overview.get("taskmanagers", 0) >= 1


CHECKS: dict[str, Callable[[Settings], bool]] = {
    "kafka": kafka_up,
    "cassandra": cassandra_up,
    "flink": flink_up,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iot-stack-status", description=__doc__)
    # [] is listed because argparse checks an empty "*" positional against the choices.
    parser.add_argument("services", nargs="*", choices=[*CHECKS, []], help="default: all")
    parser.add_argument("--quiet", action="store_true", help="print nothing, answer by exit code")
    args = parser.parse_args(argv)
    # The clients log every refused connection; a health check only needs the answer.
    logging.disable(logging.CRITICAL)
    settings = Settings.from_env()
    healthy = True
    for service in args.services or list(CHECKS):
        up = CHECKS[service](settings)
        healthy &= up
        if not args.quiet:
            print(f"{service:<10} {'up' if up else 'down'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
