"""Fixtures of the ingestion tests: fakes for unit tests, real topics and a reader for integration tests."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pytest
import shapely

from settings import KafkaSettings, Settings
from tests.support.fake_clock import FakeClock


class SquareRegions:
    """Two square regions standing in for geo.RegionIndex in unit tests: Bretagne and Corse."""

    names = ("Bretagne", "Corse")
    boxes = {"Bretagne": (-4.0, 47.5, -2.0, 48.5), "Corse": (8.6, 41.5, 9.4, 42.9)}

    def geometry(self, name: str) -> shapely.Geometry:
        return shapely.box(*self.boxes[name])

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        names = np.full(len(lat), None, dtype=object)
        for name, (west, south, east, north) in self.boxes.items():
            names[(lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)] = name
        return names

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.full(len(lat), "Bretagne", dtype=object), np.full(len(lat), 500.0)


@pytest.fixture(autouse=True)
def logging_enabled() -> None:
    """Some commands' tests (iot-stack-status) call logging.disable; these tests read the logs."""
    logging.disable(logging.NOTSET)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def regions():
    from geo import RegionIndex

    return RegionIndex.default()


@pytest.fixture
def topics(stack: Settings) -> Iterator[KafkaSettings]:
    """A readings and a rejected topic of this test only (4 partitions, like the real ones)."""
    from kafka.admin import KafkaAdminClient, NewTopic

    suffix = uuid.uuid4().hex[:10]
    kafka = replace(stack.kafka, readings_topic=f"test-readings-{suffix}", rejected_topic=f"test-rejected-{suffix}")
    admin = KafkaAdminClient(client_id="test-ingest", **kafka.client_options())
    admin.create_topics([NewTopic(name, 4, 1) for name in (kafka.readings_topic, kafka.rejected_topic)])
    yield kafka
    try:
        admin.delete_topics([kafka.readings_topic, kafka.rejected_topic])
    except Exception:  # noqa: BLE001 - a broker restarted by a test may still be electing
        pass
    admin.close()


@dataclass(frozen=True)
class Message:
    partition: int
    key: bytes | None
    value: bytes


def read_topic(kafka: KafkaSettings, topic: str, timeout: float = 30.0) -> list[Message]:
    """Every message of ``topic`` up to its current end, in partition then offset order."""
    from infra.topic_reader import read_partitions

    return [
        Message(record.partition, record.key, record.value)
        for records in read_partitions(kafka, topic, timeout)
        for record in records
    ]
