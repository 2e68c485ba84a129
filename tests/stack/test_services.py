"""The real services of the local stack answer: Kafka, Cassandra and a Flink job with checkpoints."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer

from infra.provision import ensure_topics
from jobs.submit import JOBS, ROOT, flink_run_command, submit
from results.session import connect
from settings import Settings

pytestmark = pytest.mark.services


def test_kafka_message_round_trip(stack: Settings, unique_name: str) -> None:
    kafka = stack.kafka
    ensure_topics(kafka, (unique_name,))
    producer = KafkaProducer(acks="all", **kafka.client_options())
    producer.send(unique_name, key=b"reading-1", value=b'{"temperature": 21.5}').get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        unique_name,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20000,
        **kafka.client_options(),
    )
    received = next(iter(consumer))
    consumer.close()
    assert (received.key, received.value) == (b"reading-1", b'{"temperature": 21.5}')


def test_cassandra_round_trip_in_iot_keyspace(stack: Settings, unique_name: str) -> None:
    session = connect(stack.cassandra, keyspace=stack.cassandra.keyspace)
    hour = datetime(1999, 1, 1, 3, tzinfo=UTC)
    try:
        session.execute(
            "INSERT INTO region_hourly_temperature (hour, region, mean_temperature, readings) "
            "VALUES (%s, %s, %s, %s)",
            (hour, unique_name, 12.25, 4),
        )
        row = session.execute(
            "SELECT mean_temperature, readings FROM region_hourly_temperature WHERE hour = %s AND region = %s",
            (hour, unique_name),
        ).one()
        assert (row.mean_temperature, row.readings) == (12.25, 4)
    finally:
        session.execute(
            "DELETE FROM region_hourly_temperature WHERE hour = %s AND region = %s", (hour, unique_name)
        )
        session.cluster.shutdown()


def rest(settings: Settings, path: str, method: str = "GET") -> dict:
    request = urllib.request.Request(f"{settings.flink.rest_url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else {}


def test_flink_job_from_kafka_runs_and_checkpoints(stack: Settings, unique_name: str) -> None:
    ensure_topics(stack.kafka, (unique_name,))
    command = flink_run_command(
        JOBS["smoke"], "127.0.0.1:8081", str(ROOT / ".venv" / "bin" / "python"), job_args=["--topic", unique_name]
    )
    job_id = submit(command, ROOT / "var" / "flink" / "conf")
    try:
        deadline = time.monotonic() + 120
        completed = 0
        while time.monotonic() < deadline and completed < 1:
            time.sleep(2)
            completed = rest(stack, f"/jobs/{job_id}/checkpoints")["counts"]["completed"]
        job = rest(stack, f"/jobs/{job_id}")
        assert job["state"] == "RUNNING"
        assert unique_name in job["name"]
        assert completed >= 1
    finally:
        rest(stack, f"/jobs/{job_id}?mode=cancel", method="PATCH")
