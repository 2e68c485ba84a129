"""Backoff, metrics, spool and clock: the small parts of the ingestion."""

from __future__ import annotations

import random
import urllib.request
from pathlib import Path

from ingest.backoff import Backoff
from ingest.clock import Clock
from ingest.metrics import Metrics, serve_metrics
from ingest.producer import Record
from ingest.spool import Spool


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    backoff = Backoff(base_seconds=1.0, max_seconds=10.0, rng=random.Random(1))
    for failures, step in [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (1000, 10)]:
        delays = [backoff.delay(failures) for _ in range(50)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(set(delays)) > 1


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
    assert spool.files() == [path] and not list(path.parent.glob("*.part"))
    assert Spool.load(path) == saved


def test_clock_waits_end_on_stop() -> None:
    clock = Clock()
    assert clock.now().tzinfo is not None and clock.monotonic() > 0
    assert not clock.wait(0) and not clock.stopping
    clock.request_stop()
    assert clock.wait(60) and clock.stopping
