"""``iot-dashboard`` as a command: flags over variables, one-line errors, and a real start and stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from dashboard.cli import dashboard_settings
from settings import DashboardSettings, Settings

pytestmark = pytest.mark.timeout(60)
COMMAND = [sys.executable, "-c", "import sys; from dashboard.cli import main; sys.exit(main())"]
# Nothing listens on port 1: the command must start and serve the page without Kafka.
NO_KAFKA = {"IOT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "IOT_CASSANDRA_HOST": "127.0.0.1", "IOT_CASSANDRA_PORT": "1"}


def test_flags_override_the_variables() -> None:
    defaults = Settings.from_env({"IOT_DASHBOARD_PORT": "9000", "IOT_DASHBOARD_HOURS_KEPT": "6"}).dashboard
    assert (defaults.port, defaults.hours_kept, defaults.host) == (9000, 6, "127.0.0.1")
    given = dashboard_settings(["--port", "0", "--max-clients", "3", "--host", "::1", "--read-committed"], defaults)
    assert given == DashboardSettings(host="::1", port=0, max_clients=3, hours_kept=6, read_committed=True)


@pytest.mark.parametrize(
    ("argv", "environ", "says"),
    [
        (["--port", "70000"], {}, "--port"),
        (["--max-clients", "0"], {}, "--max-clients"),
        (["--hours-kept", "x"], {}, "--hours-kept"),
        ([], {"IOT_DASHBOARD_MAX_CLIENTS": "0"}, "IOT_DASHBOARD_MAX_CLIENTS='0'"),
        ([], {"IOT_DASHBOARD_HOST": "not a host!"}, "IOT_DASHBOARD_HOST"),
        ([], {"IOT_KAFKA_RESULTS_TOPIC": "bad topic"}, "IOT_KAFKA_RESULTS_TOPIC"),
    ],
)
def test_a_wrong_command_line_or_variable_is_one_line_and_status_2(argv: list[str], environ: dict[str, str], says: str) -> None:
    done = subprocess.run([*COMMAND, *argv], env={**os.environ, **environ}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("iot-dashboard: ") and says in done.stderr and done.stderr.count("\n") == 1


def test_a_taken_port_is_one_line_and_status_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        done = subprocess.run([*COMMAND, "--port", port], env={**os.environ, **NO_KAFKA},
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"iot-dashboard: cannot listen on 127.0.0.1:{port}: ") and done.stderr.count("\n") == 1


def test_it_serves_on_the_loopback_without_kafka_and_stops_on_sigint() -> None:
    server = subprocess.Popen([*COMMAND, "--port", "0"], env={**os.environ, **NO_KAFKA},
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert server.stderr is not None
        for line in server.stderr:
            if found := re.search(r"serving (http://127\.0\.0\.1:\d+/)", line):
                break
        else:
            pytest.fail("the command never said where it serves")
        with urllib.request.urlopen(found.group(1), timeout=10) as page:
            assert page.status == 200 and b"/static/app.js" in page.read()
        with urllib.request.urlopen(found.group(1) + "status", timeout=10) as status:
            assert json.loads(status.read())["live_pages"] == 0
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert "Traceback" not in server.stderr.read()
