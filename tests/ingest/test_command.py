"""``iot-ingest`` as an operator starts it: a wrong flag or an unusable address is one line on stderr and exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.poller import EXIT_MISCONFIGURED

ROOT = Path(__file__).resolve().parents[2]


def ingest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command, with a key and no Kafka anywhere near: each case must end before either is used."""
    environment = {**os.environ, "IOT_SENSOR_API_KEY": "k-123", "IOT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", **env}
    return subprocess.run([sys.executable, "-m", "ingest.poller", *args], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "env", "told"),
    [
        (["--interval", "0"], {}, "argument --interval: '0' is not a number of seconds above 0"),
        (["--interval", "nan"], {}, "argument --interval: 'nan' is not a number of seconds above 0"),
        (["--interval", "inf"], {}, "--interval: 'inf'"),
        (["--interval", "1e308"], {}, "--interval: '1e308'"),
        (["--timeout", "-1"], {}, "argument --timeout: '-1' is not a number of seconds above 0"),
        (["--max-backoff", "0"], {}, "--max-backoff: '0'"),
        (["--shutdown-timeout", "-0.5"], {}, "--shutdown-timeout: '-0.5' is not a number of seconds from 0"),
        (["--polls", "0"], {}, "--polls: '0' is not a whole number above 0"),
        (["--url", "not a url"], {}, "--url: 'not a url' is not a URL"),
        (["--url", "file:///etc/passwd"], {}, "--url: 'file:///etc/passwd' is not an http or https URL"),
        (["--url", "ftp://127.0.0.1/readings"], {}, "is not an http or https URL"),
        (["--metrics-address", "nonsense"], {}, "--metrics-address: 'nonsense' is not host:port"),
        (["--interval", "1\n2019-02-19 ERROR forged"], {}, "'1\\n2019-02-19 ERROR forged'"),
        (["--no-such-flag\x1b[31m"], {}, "unrecognized arguments: --no-such-flag\\x1b[31m"),
    ],
)
def test_a_bad_argument_is_one_line_on_stderr_and_exit_2(args: list[str], env: dict[str, str], told: str) -> None:
    """Issue 13, case 10 (iot-ingest): tracebacks for --interval 0, nan, --timeout -1, --url "not a url",
    --metrics-address nonsense.

    Wrong IOT_* variables are the settings' to refuse: tests/settings/test_command_line.py."""
    result = ingest(*args, **env)
    assert result.returncode == EXIT_MISCONFIGURED
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("iot-ingest: error: "), result.stderr
    assert told in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_a_metrics_port_in_use_is_one_line_on_stderr_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = ingest("--metrics-address", address)
    assert result.returncode == EXIT_MISCONFIGURED
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot serve metrics on {address}: Address already in use" in result.stderr
