"""The ingestion's Prometheus metrics: the address, the text format, the HTTP endpoint."""

from __future__ import annotations

import urllib.request

import pytest

from ingest.metrics import Metrics, parse_address, serve_metrics


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


def test_a_histogram_renders_cumulative_buckets_with_its_sum_and_count() -> None:
    metrics = Metrics("iot_test")
    metrics.declare("call_seconds", "histogram", "Calls.", buckets=(0.1, 1.0))
    for seconds in (0.05, 0.1, 0.5, 3.0):
        metrics.observe("call_seconds", seconds)
    metrics.observe("call_seconds", 0.2, api="b")
    assert metrics.render() == (
        "# HELP iot_test_call_seconds Calls.\n"
        "# TYPE iot_test_call_seconds histogram\n"
        'iot_test_call_seconds_bucket{le="0.1"} 2\n'
        'iot_test_call_seconds_bucket{le="1"} 3\n'
        'iot_test_call_seconds_bucket{le="+Inf"} 4\n'
        "iot_test_call_seconds_sum 3.65\n"
        "iot_test_call_seconds_count 4\n"
        'iot_test_call_seconds_bucket{api="b",le="0.1"} 0\n'
        'iot_test_call_seconds_bucket{api="b",le="1"} 1\n'
        'iot_test_call_seconds_bucket{api="b",le="+Inf"} 1\n'
        'iot_test_call_seconds_sum{api="b"} 0.2\n'
        'iot_test_call_seconds_count{api="b"} 1\n'
    )


def test_histogram_buckets_must_increase() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        Metrics("iot_test").declare("call_seconds", "histogram", "Calls.", buckets=(1.0, 0.5))
