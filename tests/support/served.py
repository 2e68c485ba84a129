"""What the two topics must hold after the poller met the mock API, and what they do hold."""

from __future__ import annotations

import json
from collections import Counter

from ingest.mock_api import ServedResponse
from settings import KafkaSettings
from tests.ingest.conftest import read_topic


def expected_topics(served: list[ServedResponse]) -> tuple[Counter, Counter]:
    """What the two topics must hold, computed from what the mock says it served."""
    readings: Counter = Counter()
    rejected: Counter = Counter()
    for response in served:
        if response.status != 200 or response.fault == "timeout":  # a timeout's body comes after the client left
            continue
        if response.expected_reason is not None:
            rejected[(None, str(response.expected_reason))] += 1
            continue
        assert response.records is not None
        for text, key, reason in zip(
            response.records.texts, response.records.keys, response.records.expected_reasons, strict=True
        ):
            if reason is None:
                readings[(key, text)] += 1
            else:
                rejected[(key, str(reason), text.decode())] += 1
    return readings, rejected


def actual_topics(kafka: KafkaSettings) -> tuple[Counter, Counter]:
    readings = Counter((message.key, message.value) for message in read_topic(kafka, kafka.readings_topic))
    rejected: Counter = Counter()
    for message in read_topic(kafka, kafka.rejected_topic):
        record = json.loads(message.value)
        assert record["stage"] == "ingest" and record["rejected_at"].endswith("Z") and record["detail"]
        if record["reason"] in ("truncated_response", "not_an_array", "empty_message", "invalid_encoding") or (
            record["reason"] == "malformed_json" and record["raw"].startswith("<html>")
        ):
            rejected[(message.key, record["reason"])] += 1
        else:
            rejected[(message.key, record["reason"], record["raw"])] += 1
    return readings, rejected
