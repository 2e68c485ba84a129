"""The load generator into the real Kafka, with both clients; its file lists exactly what was sent."""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ingest import loadgen
from ingest.loadgen import LoadJob, LoadSummary, parse_duration, run_load
from ingest.sensor_simulator import FaultMix
from readings import Reading, ReadingParser
from settings import KafkaSettings, ReadingRules
from tests.ingest.conftest import read_topic


def test_durations() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration(" 1.5m ") == timedelta(seconds=90)
    assert parse_duration("7d") == timedelta(days=7) and parse_duration("30s") == timedelta(seconds=30)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration("1 week")


def test_summary_line() -> None:
    summary = LoadSummary(sent=10, acknowledged=8, delivery_failures=1, seconds=2.0, failed_workers=1)
    assert summary.rate == 4.0
    assert (
        summary.line() == "sent 10, acknowledged 8, delivery failures 1, in 2.0 s: 4 acknowledged readings/s; 1 worker(s) failed"
    )
    assert LoadSummary(0, 0, 0, 0.0, 0).rate == 0.0


@pytest.mark.services
@pytest.mark.parametrize(("client", "processes"), [("kafka-python", 1), ("confluent-kafka", 2)])
def test_what_the_file_lists_is_what_kafka_holds(topics: KafkaSettings, tmp_path: Path, client: str, processes: int) -> None:
    output = tmp_path / "sent.jsonl"
    now_ms = int(time.time() * 1000)
    job = LoadJob(kafka=topics, topic=topics.readings_topic, count=3000, start_ms=now_ms - 3_600_000, span_ms=3_600_000,
                  processes=processes, client=client, faults=FaultMix(malformed=0.1, duplicates=0.05), output=output,
                  rate=20_000)
    summary = run_load(job, progress_every=0.2)
    assert summary.sent == summary.acknowledged == 3000 and not summary.failed_workers
    sent = output.read_bytes().split(b"\n")[:-1]
    held = read_topic(topics, topics.readings_topic)
    assert sorted(sent) == sorted(message.value for message in held)
    parser = ReadingParser(ReadingRules())
    times = [outcome.event_time_ms for outcome in (parser.parse(text, now_ms) for text in sent) if isinstance(outcome, Reading)]
    assert now_ms - 3_600_000 - 7 * 3_600_000 < min(times) and max(times) <= now_ms
    assert not list(tmp_path.glob("*.part*"))


@pytest.mark.services
def test_the_command(topics: KafkaSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("IOT_KAFKA_READINGS_TOPIC", topics.readings_topic)
    assert loadgen.main(["--count", "500", "--span", "2h", "--no-progress", "--start", "2019-04-28T00:00:00"]) == 0
    assert "sent 500, acknowledged 500" in capsys.readouterr().out
    assert len(read_topic(topics, topics.readings_topic)) == 500
