"""The poller against the mock API over real HTTP on loopback, into the real local Kafka."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest.api_client import SensorApiClient
from ingest.clock import Clock
from ingest.kafka_clients import KafkaPythonClient
from ingest.mock_api import MockApiConfig, MockSensorApi
from ingest.poller import EXIT_MISCONFIGURED, EXIT_OK, Poller, ingest_metrics, main
from ingest.producer import ReliableProducer
from ingest.sensor_simulator import FaultMix
from settings import IngestSettings, KafkaSettings, Settings
from tests.ingest.conftest import read_topic
from tests.support.served import actual_topics, expected_topics

pytestmark = pytest.mark.services

KEY = "s3cret-Key-4d2f"
ROOT = Path(__file__).resolve().parents[2]
MIXED = FaultMix(out_of_order=0.05, late=0.02, duplicates=0.03, corrections=0.03, malformed=0.1, outside_france=0.05)


def make_poller(url: str, kafka: KafkaSettings, regions, tmp_path: Path, clock: Clock | None = None,
                timeout: float = 2.0, interval: float = 0.2) -> Poller:
    clock = clock or Clock()
    settings = IngestSettings(poll_interval_seconds=interval, request_timeout_seconds=timeout, max_backoff_seconds=1.0,
                              spool_dir=str(tmp_path / "spool"), shutdown_timeout_seconds=5.0, metrics_address="")
    return Poller(SensorApiClient(url, KEY, timeout), ReliableProducer(KafkaPythonClient(kafka, "test-ingest"), clock),
                  regions, kafka, Settings().rules, settings, clock, ingest_metrics())


def test_topics_hold_exactly_what_was_served(topics: KafkaSettings, regions, tmp_path: Path) -> None:
    with MockSensorApi(MockApiConfig(api_key=KEY, faults=MIXED, seed=7), regions) as api:
        api.script(["truncated", "not_json", "not_an_array", "invalid_encoding", "empty"])
        poller = make_poller(api.url, topics, regions, tmp_path)
        assert poller.run(max_polls=8) == EXIT_OK
        served = list(api.served)

    expected_readings, expected_rejected = expected_topics(served)
    readings, rejected = actual_topics(topics)
    assert readings == expected_readings
    assert rejected == expected_rejected
    assert {reason for _, reason, *_ in rejected} >= {
        "outside_france", "missing_field", "invalid_type", "duplicate_key", "truncated_response", "not_an_array",
    }
    # Versions of a reading share a partition and keep the order they were served in.
    served_order = [
        text
        for response in served
        if response.records and response.expected_reason is None
        for text, reason in zip(response.records.texts, response.records.expected_reasons, strict=True)
        if reason is None
    ]
    by_key: dict[bytes | None, list[bytes]] = {}
    partitions: dict[bytes | None, set[int]] = {}
    for message in read_topic(topics, topics.readings_topic):
        by_key.setdefault(message.key, []).append(message.value)
        partitions.setdefault(message.key, set()).add(message.partition)
    assert all(len(parts) == 1 for parts in partitions.values())
    corrected = [key for key, versions in by_key.items() if len(set(versions)) > 1]
    assert corrected
    for key in corrected:
        versions = by_key[key]
        assert versions == [text for text in served_order if text in set(versions)]
    assert poller.metrics.value("readings_published_total") == sum(expected_readings.values())


def test_outages_lose_nothing(topics: KafkaSettings, regions, tmp_path: Path) -> None:
    config = MockApiConfig(api_key=KEY, readings_per_call=200, seed=3, hang_seconds=3.0, slow_seconds=0.2)
    with MockSensorApi(config, regions) as api:
        api.script(["server_error", "throttled", "timeout", "slow", "server_error", "server_error"])
        poller = make_poller(api.url, topics, regions, tmp_path, timeout=1.0)
        started = time.monotonic()
        assert poller.run(max_polls=3) == EXIT_OK
        elapsed = time.monotonic() - started
        served = list(api.served)

    assert elapsed >= 1.0 + 1.0  # Retry-After: 1 honoured, and the 1 s timeout waited out
    failures = {kind: poller.metrics.value("poll_failures_total", kind=kind) for kind in ("http_429", "timeout")}
    assert failures == {"http_429": 1, "timeout": 1}
    expected_readings, _ = expected_topics(served)
    readings, _ = actual_topics(topics)
    assert readings == expected_readings
    assert sum(readings.values()) == 3 * 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_until_the_api_comes_up(topics: KafkaSettings, regions, tmp_path: Path) -> None:
    port = free_port()
    poller = make_poller(f"http://127.0.0.1:{port}/sensor/temperatures", topics, regions, tmp_path)
    outcome: list[int] = []
    runner = threading.Thread(target=lambda: outcome.append(poller.run(max_polls=2)))
    runner.start()
    time.sleep(1.5)
    with MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=100), regions, port=port) as api:
        runner.join(timeout=30)
        served = list(api.served)
    assert outcome == [EXIT_OK]
    assert poller.metrics.value("poll_failures_total", kind="connection") >= 1
    assert actual_topics(topics)[0] == expected_topics(served)[0]


def run_command(args: list[str], env: dict[str, str], **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)


def test_the_command_stops_cleanly_on_sigterm_and_keeps_the_key_secret(topics: KafkaSettings, regions, tmp_path: Path) -> None:
    with MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=50), regions) as api:
        env = {
            "IOT_SENSOR_API_KEY": KEY,
            "IOT_KAFKA_READINGS_TOPIC": topics.readings_topic,
            "IOT_KAFKA_REJECTED_TOPIC": topics.rejected_topic,
        }
        process = run_command(["ingest.poller", "--url", api.url, "--interval", "0.5", "--metrics-address", "127.0.0.1:0",
                               "--spool-dir", str(tmp_path)], env)
        deadline = time.monotonic() + 30
        while len(api.served) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        wrong_key = {**env, "IOT_SENSOR_API_KEY": "wrong-" + KEY}
        refused = run_command(["ingest.poller", "--url", api.url, "--metrics-address", ""], wrong_key)
        refused_output, _ = refused.communicate(timeout=30)
        served = list(api.served)
    assert process.returncode == 0, output
    assert "stopped (exit code 0)" in output and "poll: fetched 50" in output and "metrics on http://127.0.0.1:" in output
    assert refused.returncode == EXIT_MISCONFIGURED and "refused the API key" in refused_output
    assert KEY not in output + refused_output
    assert actual_topics(topics)[0] == expected_topics(served)[0]


def test_main_in_process_runs_the_given_number_of_polls(topics: KafkaSettings, regions, tmp_path: Path, monkeypatch) -> None:
    with MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=20), regions) as api:
        monkeypatch.setenv("IOT_SENSOR_API_KEY", KEY)
        monkeypatch.setenv("IOT_KAFKA_READINGS_TOPIC", topics.readings_topic)
        monkeypatch.setenv("IOT_KAFKA_REJECTED_TOPIC", topics.rejected_topic)
        code = main(["--url", api.url, "--interval", "0.1", "--polls", "2", "--metrics-address", "127.0.0.1:0",
                     "--spool-dir", str(tmp_path), "--stamp-fetch-time"])
        served = list(api.served)
    assert code == EXIT_OK
    values = [json.loads(message.value) for message in read_topic(topics, topics.readings_topic)]
    assert len(values) == 40 and all("source_timestamp" in value and value["timestamp"].endswith("Z") for value in values)
    assert len(served) == 2


def test_main_without_a_key_says_how_to_give_one(monkeypatch, caplog) -> None:
    monkeypatch.delenv("IOT_SENSOR_API_KEY", raising=False)
    monkeypatch.delenv("IOT_SENSOR_API_KEY_FILE", raising=False)
    assert main([]) == EXIT_MISCONFIGURED
    assert "set IOT_SENSOR_API_KEY or IOT_SENSOR_API_KEY_FILE" in caplog.text


@pytest.mark.slow
def test_a_broker_restart_loses_nothing(topics: KafkaSettings, regions, tmp_path: Path) -> None:
    with MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=200, seed=11), regions) as api:
        poller = make_poller(api.url, topics, regions, tmp_path, interval=0.5)
        clock = poller._clock
        outcome: list[int] = []
        runner = threading.Thread(target=lambda: outcome.append(poller.run()))
        runner.start()
        time.sleep(2)
        restart = subprocess.run([str(ROOT / "scripts" / "stack.sh"), "restart", "kafka"], capture_output=True, text=True,
                                 timeout=300)
        assert restart.returncode == 0, restart.stderr
        polls_at_restart = poller.metrics.value("polls_total")
        deadline = time.monotonic() + 120
        # The producer reconnects on its own schedule: stop only once polls go through again, or the stop spools.
        while poller.metrics.value("polls_total") < polls_at_restart + 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        clock.request_stop()
        runner.join(timeout=120)
        served = list(api.served)
    assert outcome == [EXIT_OK]
    expected, _ = expected_topics(served)
    readings, _ = actual_topics(topics)
    missing = expected - readings
    assert not missing, f"{sum(missing.values())} served readings missing after the broker restart"
