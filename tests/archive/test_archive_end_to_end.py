"""The archive on the real pipeline: every message of the readings topic, broken ones too, lands in
the Parquet archive exactly once with its Kafka coordinates, under its event hour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.reads import NO_EVENT_HOUR, archived_messages, hour_name
from oracle.watermark import watermark_time_ms
from results.hours import hour_of
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.archive.coordinates import archive_coordinates, topic_coordinates
from tests.support.dataset import build

pytestmark = pytest.mark.services


def test_every_message_read_is_archived_once_under_its_event_hour(run: PipelineRun) -> None:
    data = build(datetime.now(UTC))
    run.submit(parallelism=2)
    run.produce(data.phase_a)
    expected = topic_coordinates(run)
    found = wait_for("the archive to hold the topic", lambda: archive_coordinates(run),
                     lambda rows: len(rows) >= len(expected), 120)  # fmt: skip
    assert found == expected

    # Each under the hour of the event time the job's watermark reads (the oracle's), or 'none'.
    hours = {(row["kafka_partition"], row["kafka_offset"]): row["event_hour"]
             for row in archived_messages(run.settings.archive.path).to_pylist()}  # fmt: skip
    expected_hours = {}
    for partition, offset, kafka_ms, value in expected:
        event_ms = watermark_time_ms(value, kafka_ms, run.settings.rules)
        expected_hours[partition, offset] = NO_EVENT_HOUR if event_ms is None else hour_name(hour_of(event_ms))
    assert hours == expected_hours
    assert 0 < list(hours.values()).count(NO_EVENT_HOUR) < len(hours) / 10
