"""``iot-dashboard``: serve the live page of France's hourly means (docs/dashboard.md).

    iot-dashboard                        on http://127.0.0.1:8050/
    iot-dashboard --host 0.0.0.0 --port 80   (behind a reverse proxy with TLS and auth only)

The live rows come from the results topic (IOT_KAFKA_*), a region's history from Cassandra
(IOT_CASSANDRA_*); both may be down at start: the page waits for them. Each flag overrides its
IOT_DASHBOARD_* variable. Exit status 2 for a wrong command line or variable, or an address
it cannot listen on (one line on standard error).
"""

from __future__ import annotations

import argparse
import logging
import socket
from dataclasses import replace

from settings import DashboardSettings, configure_logging
from settings.command_line import (
    OneLineParser,
    UsageError,
    host,
    real_number,
    reports_usage_errors,
    settings_or_exit,
    whole_number,
)

PROG = "iot-dashboard"
# Seconds a stop waits for open pages: live streams never end by themselves.
GRACEFUL_SHUTDOWN_SECONDS = 2

log = logging.getLogger(PROG)


def dashboard_settings(argv: list[str] | None, defaults: DashboardSettings) -> DashboardSettings:
    """The IOT_DASHBOARD_* settings with the flags given applied over them."""
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", type=host, default=defaults.host, help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=whole_number(0, 65535), default=defaults.port,
                        help="0: any free port (default %(default)s)")
    parser.add_argument("--max-clients", type=whole_number(1, 100_000), default=defaults.max_clients,
                        help="live pages at once; more are answered 503 (default %(default)s)")
    parser.add_argument("--client-queue-events", type=whole_number(1, 1_000_000), default=defaults.client_queue_events,
                        help="events waiting for one page before it is dropped (default %(default)s)")
    parser.add_argument("--hours-kept", type=whole_number(1, 24 * 366), default=defaults.hours_kept,
                        help="hours held in memory, back from the newest (default %(default)s)")
    parser.add_argument("--keepalive-seconds", type=real_number(0.1, 3600), default=defaults.keepalive_seconds,
                        help="a comment on each live stream this often (default %(default)s)")
    parser.add_argument("--read-committed", action=argparse.BooleanOptionalAction, default=defaults.read_committed,
                        help="show a change only once the job's checkpoint committed it, seconds later (default %(default)s)")
    args = parser.parse_args(argv)
    return replace(defaults, **{name: getattr(args, name) for name in vars(args)})


@reports_usage_errors(PROG)
def main(argv: list[str] | None = None) -> int:
    configure_logging()
    settings = settings_or_exit(PROG)
    settings = replace(settings, dashboard=dashboard_settings(argv, settings.dashboard))
    import uvicorn

    from dashboard.app import create_app

    bounds = settings.dashboard
    try:
        family = socket.AF_INET6 if ":" in bounds.host else socket.AF_INET
        listening = socket.create_server((bounds.host, bounds.port), family=family)
    except OSError as error:  # the port is taken, or the host is not an address of this machine
        raise UsageError(f"cannot listen on {bounds.host}:{bounds.port}: {error.strerror or error}") from None
    host, port = listening.getsockname()[:2]
    log.info("serving http://%s:%d/ (results from %s on %s)", host, port, settings.kafka.results_topic,
             settings.kafka.bootstrap_servers)
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)  # fmt: skip
    try:
        uvicorn.Server(config).run(sockets=[listening])
    except KeyboardInterrupt:  # uvicorn stops gracefully, then raises the Ctrl-C it caught again
        pass
    return 0
