"""Backoff, metrics, spool and clock: the small parts of the ingestion."""

from __future__ import annotations

import logging
import random
import urllib.request
from pathlib import Path

import pytest

from ingest.backoff import Backoff
from ingest.clock import Clock
from ingest.log_escape import escape_lines_of, printable
from ingest.metrics import Metrics, parse_address, serve_metrics
from ingest.producer import Record
from ingest.spool import Spool, UnreadableSpoolFile


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    backoff = Backoff(base_seconds=1.0, max_seconds=10.0, rng=random.Random(1))
    for failures, step in [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (1000, 10)]:
        delays = [backoff.delay(failures) for _ in range(50)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("at_least", "expected"),
    [(None, None), (0.0, None), (3.0, 3.0), (999_999.0, 10.0)],
)
def test_retry_after_is_a_floor_clamped_to_the_maximum(at_least: float | None, expected: float | None) -> None:
    """Issue 13, case 4: ``Retry-After: 999999`` waited 11.6 days; ``0`` looped 4,887 times in 3 s."""
    backoff = Backoff(base_seconds=1.0, max_seconds=10.0, rng=random.Random(1))
    for _ in range(50):
        delay = backoff.delay(1, at_least=at_least)
        assert (0.5 <= delay <= 1.0) if expected is None else delay == expected


def test_no_wait_is_shorter_than_the_floor() -> None:
    assert Backoff(base_seconds=0.0, max_seconds=0.0).delay(1, at_least=0.0) == 0.25
    assert Backoff(max_seconds=0.01, min_seconds=0.5).delay(3) == 0.5


def test_printable_escapes_what_could_forge_or_hide_a_log_line() -> None:
    """Issue 13, case 13: NUL, CR, LF from a server went into log lines as they were."""
    assert printable("fine é ü 42") == "fine é ü 42"
    assert printable("a\x00b\r\nFAKE ERROR\x1b[31m\u2028\t\x7f\x85") == "a\\x00b\\r\\nFAKE ERROR\\x1b[31m\\u2028\\t\\x7f\\x85"


def test_an_escaped_logger_writes_one_line_per_event(caplog: pytest.LogCaptureFixture) -> None:
    logger = escape_lines_of(logging.getLogger("test-escaped"))
    logger.warning("the server said %s", "ok\r\n2019-02-19 ERROR forged")
    [record] = caplog.records
    assert record.getMessage() == "the server said ok\\r\\n2019-02-19 ERROR forged"


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1", ":9464", "127.0.0.1:port", "127.0.0.1:70000", "127.0.0.1:²",
                                     "a b:1"])
def test_a_metrics_address_that_is_not_host_port_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="host:port|control"):
        parse_address(address)
    assert parse_address("localhost:0") == ("localhost", 0)


def test_metrics_render_in_prometheus_text_format() -> None:
    metrics = Metrics("iot_test")
    metrics.declare("events_total", "counter", "Events.")
    metrics.declare("latency_seconds", "gauge", "Latency.")
    metrics.inc("events_total", 2, reason='bad "x"\n')
    metrics.inc("events_total", reason='bad "x"\n')
    metrics.inc("events_total", 3_000_000)
    metrics.set("latency_seconds", 0.25)
    assert metrics.value("events_total", reason='bad "x"\n') == 3
    assert metrics.value("latency_seconds", other="none") == 0
    assert metrics.render() == (
        "# HELP iot_test_events_total Events.\n"
        "# TYPE iot_test_events_total counter\n"
        "iot_test_events_total 3000000\n"
        'iot_test_events_total{reason="bad \\"x\\"\\n"} 3\n'
        "# HELP iot_test_latency_seconds Latency.\n"
        "# TYPE iot_test_latency_seconds gauge\n"
        "iot_test_latency_seconds 0.25\n"
    )


def test_metrics_are_served_over_http() -> None:
    metrics = Metrics("iot_test")
    metrics.declare("up", "gauge", "Up.")
    metrics.set("up", 1)
    server = serve_metrics(metrics, "127.0.0.1:0")
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert "iot_test_up 1\n" in answer.read().decode()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
            raise AssertionError("expected 404")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        server.shutdown()


def test_spool_round_trip(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.files() == []
    saved = [Record("a", None, b"\x00\xff"), Record("b", b"key", b"")]
    path = spool.save(saved)
    assert path is not None and spool.files() == [path] and not list(path.parent.glob("*.part"))
    assert list(Spool.load(path)) == saved
    assert spool.save([]) is None and spool.files() == [path]


def test_an_unreadable_spool_file_says_where_and_can_be_set_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    path = spool.save([Record("a", None, b"x")])
    assert path is not None
    path.write_text(path.read_text() + '{"topic": "a", "key": null, "value": "not base64!"}\n')
    with pytest.raises(UnreadableSpoolFile, match="line 2: Error"):
        list(Spool.load(path))
    aside = Spool.set_aside(path)
    assert spool.files() == [] and aside.read_text().startswith('{"topic": "a"')


def test_clock_waits_end_on_stop() -> None:
    clock = Clock()
    assert clock.now().tzinfo is not None and clock.monotonic() > 0
    assert not clock.wait(0) and not clock.stopping
    clock.request_stop()
    assert clock.wait(60) and clock.stopping
