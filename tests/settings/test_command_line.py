"""Every command, given a wrong command line or a wrong IOT_* variable: one line on stderr, exit 2, no traceback.

Each case runs the installed command as a subprocess (this checkout's code first on PYTHONPATH),
from an empty folder, with every service address pointed at a closed port: a case that got past
its check would fail to connect, never reach the local stack. Nothing may run either (the folder
stays empty: no ``touch x`` from an address with a shell command in it). The cases run
concurrently once, then each is judged on its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_server import send_body

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Where each service would be, if a case got past its checks: nothing listens on port 1.
NOWHERE = {
    "IOT_CASSANDRA_PORT": "1",
    "IOT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    "IOT_FLINK_JOBMANAGER": "127.0.0.1:1",
    "IOT_FLINK_REST_URL": "http://127.0.0.1:1",
    "IOT_SENSOR_API_URL": "http://127.0.0.1:1/sensor/temperatures",
    "IOT_SENSOR_API_MOCK_PORT": "0",
    "IOT_INGEST_METRICS_ADDRESS": "",
}


@dataclass(frozen=True)
class Case:
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    says: str = ""  # a fragment of the one line: what is wrong

    @property
    def name(self) -> str:
        shown = " ".join([*(f"{k}={v}" for k, v in self.env.items() if k != "IOT_SENSOR_API_KEY"), *self.args])
        return f"{self.command} {shown}"[:100]


def case(command: str, *args: str, says: str, **env: str) -> Case:
    return Case(command, args, env, says)


def env_cases(command: str, *args: str, **env: str) -> list[Case]:
    """The environment cases every command that reads the settings must turn into one line."""
    return [
        case(command, *args, says="IOT_INGEST_POLL_INTERVAL_SECONDS='abc': not a number",
             IOT_INGEST_POLL_INTERVAL_SECONDS="abc", **env),
        case(command, *args, says="IOT_SENSOR_API_KEY_FILE='/nonexistent': cannot read it: No such file or directory",
             IOT_SENSOR_API_KEY_FILE="/nonexistent", **{k: v for k, v in env.items() if k != "IOT_SENSOR_API_KEY"}),
        case(command, *args, says="IOT_RULES_FUTURE_MARGIN_SECONDS='nan': must be from 0 to 31622400",
             IOT_RULES_FUTURE_MARGIN_SECONDS="nan", **env),
    ]


KEY = {"IOT_SENSOR_API_KEY": "k"}
CASES = [
    # iot-query
    case("iot-query", "--region", "Corse", "--last", "99999999999", says="argument --last: '99999999999': must be from 1"),
    case("iot-query", "--region", "Corse", "--last", "-5", says="argument --last: '-5': must be from 1"),
    case("iot-query", "--latest", "--map", "/nonexistent/dir/x.png", says="no folder '/nonexistent/dir'"),
    case("iot-query", "--latest", "--map", "/dev/full", says="the map's file name must end in .png"),
    case("iot-query", "--latest", "--map", "out", says="the map's file name must end in .png"),
    case("iot-query", "--hour", "2019-13-45 99", says="is not an hour"),
    case("iot-query", "--hour", "0001-01-01 00:00+01:00", says="is not an hour between years 1 and 9999"),
    case("iot-query", "--region", "Atlantis", says="is not a region of France"),
    case("iot-query", "--latest", "--bogus\nflag\x1b[2J", says="unrecognized arguments: --bogus\\nflag\\x1b[2J"),
    case("iot-query", "--latest", says="IOT_CASSANDRA_PORT='99999': must be from 1 to 65535", IOT_CASSANDRA_PORT="99999"),
    case("iot-query", "--latest", says="IOT_CASSANDRA_KEYSPACE", IOT_CASSANDRA_KEYSPACE="iot; DROP KEYSPACE iot"),
    *env_cases("iot-query", "--latest"),
    # iot-submit
    case("iot-submit", "--jobmanager", "not a host", says="argument --jobmanager: 'not a host': not host:port"),
    case("iot-submit", "--jobmanager", "127.0.0.1:8081; touch x", says="'127.0.0.1:8081; touch x': not host:port"),
    case("iot-submit", "--jobmanager", "127.0.0.1:99999", says="the port must be from 1 to 65535"),
    case("iot-submit", "--jobmanager", "{prometheus}", "--conf-dir", "{conf}",
         says="is not Flink's REST API: GET /jobs/overview did not answer JSON"),
    case("iot-submit", "--jobmanager", "{web}", "--conf-dir", "{conf}",
         says="is not Flink's REST API: GET /jobs/overview answered 404"),
    case("iot-submit", "--jobmanager", "{json}", "--conf-dir", "{conf}",
         says="is not Flink's REST API: GET /jobs/overview has no list"),
    case("iot-submit", "--parallelism", "-1", says="argument --parallelism: '-1': must be from 1 to 32768"),
    case("iot-submit", "--start-timeout", "nan", says="argument --start-timeout: 'nan': must be from 0 to 3600"),
    case("iot-submit", "--python", "/nonexistent/python", says="no such executable"),
    case("iot-submit", "--from-savepoint", "/nonexistent/savepoint", says="no such savepoint or checkpoint"),
    case("iot-submit", "--conf-dir", "/nonexistent", says="no config.yaml in --conf-dir '/nonexistent'"),
    case("iot-submit", "--job", "nope", says="argument --job: invalid choice: 'nope'"),
    case("iot-submit", "--conf-dir", "{conf}", says="IOT_FLINK_JOBMANAGER='not a host': not host:port",
         IOT_FLINK_JOBMANAGER="not a host"),
    *env_cases("iot-submit", "--conf-dir", "{conf}"),
    # iot-reconcile
    case("iot-reconcile", "--hour", "nonsense", says="is not an hour"),
    case("iot-reconcile", "--readings-topic", "a b", says="argument --readings-topic: 'a b': not a Kafka topic name"),
    case("iot-reconcile", "--keyspace", "x;y", says="x;y"),
    case("iot-reconcile", says="IOT_KAFKA_BOOTSTRAP_SERVERS='nonsense': not host:port", IOT_KAFKA_BOOTSTRAP_SERVERS="nonsense"),
    *env_cases("iot-reconcile"),
    # iot-regions (reads no settings)
    case("iot-regions", "--bogus", says="unrecognized arguments: --bogus"),
    case("iot-regions", "extra", says="unrecognized arguments: extra"),
    # iot-loadgen
    case("iot-loadgen", "--count", "-1", says="argument --count: '-1': must be from 1"),
    case("iot-loadgen", "--rate", "nan", says="argument --rate: 'nan'"),
    case("iot-loadgen", "--span", "99999999999d", says="is longer than 999999999 days"),
    case("iot-loadgen", "--span", "forever", says="is not a duration"),
    case("iot-loadgen", "--start", "9999-12-31T23:00", "--span", "48h",
         says="--start and --span reach outside the years 1 to 9999"),
    case("iot-loadgen", "--malformed", "2", says="argument --malformed: '2': must be from 0 to 1"),
    case("iot-loadgen", "--malformed", "0.6", "--late", "0.6", says="fault shares must be in [0, 1] and add up to at most 1"),
    case("iot-loadgen", "--processes", "0", says="argument --processes: '0': must be from 1 to 256"),
    case("iot-loadgen", "--topic", "bad topic", says="not a Kafka topic name"),
    case("iot-loadgen", "--output", "/nonexistent/dir/sent.jsonl", says="no folder '/nonexistent/dir'"),
    case("iot-loadgen", says="IOT_RULES_TIMEZONE='Mars/Olympus': not a time zone name", IOT_RULES_TIMEZONE="Mars/Olympus"),
    *env_cases("iot-loadgen"),
    # iot-mock-api
    case("iot-mock-api", "--port", "99999", says="argument --port: '99999': must be from 0 to 65535", **KEY),
    case("iot-mock-api", "--port", "{taken_port}", says="cannot listen on 127.0.0.1:{taken_port}: Address already in use", **KEY),
    case("iot-mock-api", "--host", "192.0.2.1", says="cannot listen on 192.0.2.1:0: Cannot assign requested address", **KEY),
    case("iot-mock-api", "--host", "not a host", says="argument --host: 'not a host'", **KEY),
    case("iot-mock-api", "--script", "timeout,nope", says="argument --script: 'timeout,nope': expected names among", **KEY),
    case("iot-mock-api", "--slow-seconds=-inf", says="argument --slow-seconds: '-inf': must be from 0 to 3600", **KEY),
    case("iot-mock-api", "--not-json", "0.6", "--empty", "0.6", says="response fault shares add up to more than 1", **KEY),
    case("iot-mock-api", says="IOT_SENSOR_API_MOCK_PORT='-1': must be from 0 to 65535", IOT_SENSOR_API_MOCK_PORT="-1", **KEY),
    *env_cases("iot-mock-api", **KEY),
    # iot-ingest: its environment (its flags are checked by its own tests)
    *env_cases("iot-ingest", **KEY),
    case("iot-ingest", says="IOT_INGEST_POLL_INTERVAL_SECONDS='0': must be from 0.01", IOT_INGEST_POLL_INTERVAL_SECONDS="0",
         **KEY),
    case("iot-ingest", says="IOT_INGEST_REQUEST_TIMEOUT_SECONDS='-1'", IOT_INGEST_REQUEST_TIMEOUT_SECONDS="-1", **KEY),
    case("iot-ingest", says="IOT_INGEST_MAX_BACKOFF_SECONDS='inf'", IOT_INGEST_MAX_BACKOFF_SECONDS="inf", **KEY),
    case("iot-ingest", says="IOT_INGEST_SHUTDOWN_TIMEOUT_SECONDS='1e999'", IOT_INGEST_SHUTDOWN_TIMEOUT_SECONDS="1e999", **KEY),
    case("iot-ingest", says="IOT_SENSOR_API_URL='file:///etc/passwd': not an http:// or https:// URL",
         IOT_SENSOR_API_URL="file:///etc/passwd", **KEY),
    case("iot-ingest", says="IOT_INGEST_METRICS_ADDRESS='nonsense': not host:port", IOT_INGEST_METRICS_ADDRESS="nonsense", **KEY),
    case("iot-ingest", says="IOT_SENSOR_API_KEY_FILE='/dev/zero': larger than 64 KiB", IOT_SENSOR_API_KEY_FILE="/dev/zero"),
    case("iot-ingest", says="IOT_SENSOR_API_KEY: the secret holds a control character", IOT_SENSOR_API_KEY="k\r\nX-Evil: 1"),
]
COMMANDS = ("iot-query", "iot-submit", "iot-reconcile", "iot-regions", "iot-loadgen", "iot-mock-api", "iot-ingest")


class PrometheusLike(BaseHTTPRequestHandler):
    """What answers at a metrics port: text, status 200, for any path."""

    def do_GET(self) -> None:
        body = b"# HELP flink_jobmanager_numRunningJobs numRunningJobs\nflink_jobmanager_numRunningJobs 1.0\n"
        send_body(self, body, content_type="text/plain; version=0.0.4")

    def log_message(self, *_: Any) -> None:
        pass


class JsonNotFlink(PrometheusLike):
    def do_GET(self) -> None:
        send_body(self, json.dumps({"status": "ok"}).encode())


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> HTTPServer:
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(item: Case, context: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IOT_")}
    env.update(NOWHERE, PYTHONPATH=str(ROOT), IOT_VAR_DIR=str(folder / "var"))
    env.update({key: value.format(**context) for key, value in item.env.items()})
    args = [arg.format(**context) for arg in item.args]
    return subprocess.run([str(BIN / item.command), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60)


Outcome = tuple[subprocess.CompletedProcess[str], list[Path]]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Outcome], dict[str, str]]]:
    """Each case's run and what it left in its folder, in the order of CASES; and the addresses used."""
    conf = tmp_path_factory.mktemp("conf")
    (conf / "config.yaml").write_text("rest:\n  port: 8081\n", encoding="utf-8")
    servers = [serve(PrometheusLike), serve(QuietFiles), serve(JsonNotFlink)]
    taken = socket.create_server(("127.0.0.1", 0))
    context = {
        "conf": str(conf),
        "taken_port": str(taken.getsockname()[1]),
        **{
            name: f"127.0.0.1:{server.server_address[1]}"
            for name, server in zip(("prometheus", "web", "json"), servers, strict=True)
        },
    }

    def judge(item: Case) -> Outcome:
        folder = tmp_path_factory.mktemp("cwd")
        return run(item, context, folder), sorted(folder.iterdir())

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            yield list(pool.map(judge, CASES)), context
    finally:
        taken.close()
        for server in servers:
            server.shutdown()
            server.server_close()


def test_every_command_is_in_the_table() -> None:
    assert {item.command for item in CASES} == set(COMMANDS)


@pytest.mark.parametrize("number", range(len(CASES)), ids=[item.name for item in CASES])
def test_one_line_on_stderr_and_exit_2(number: int, results: tuple[list[Outcome], dict[str, str]]) -> None:
    item = CASES[number]
    outcomes, context = results
    result, left = outcomes[number]
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert result.stderr.startswith(f"{item.command}: ") and item.says.format(**context) in result.stderr, result.stderr
    assert left == [], "the command left files behind, or something ran"
