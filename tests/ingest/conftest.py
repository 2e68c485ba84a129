"""Fixtures of the ingestion tests: fakes for unit tests, real topics and a reader for integration tests."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import shapely

from ingest.clock import Clock
from ingest.kafka_clients import MAX_RECORD_BYTES
from ingest.producer import DeliveryReport, Failure, Record
from settings import KafkaSettings, Settings


class FakeClock(Clock):
    """Time that moves only when waited on; ``stop_after`` requests a stop after that many waits."""

    def __init__(self, start: float = 1000.0, stop_after: int | None = None) -> None:
        super().__init__()
        self.time = start
        self.wall = datetime(2019, 2, 19, 14, 5, tzinfo=UTC)
        self.waits: list[float] = []
        self.stop_after = stop_after

    def monotonic(self) -> float:
        return self.time

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.time - 1000.0)

    def wait(self, seconds: float) -> bool:
        self.waits.append(max(0.0, seconds))
        self.time += max(0.0, seconds)
        if self.stop_after is not None and len(self.waits) >= self.stop_after:
            self.request_stop()
        return self.stopping

    def advance(self, seconds: float) -> None:
        self.time += seconds


@dataclass
class FakeDeliveryClient:
    """A Kafka client that acknowledges on flush, or fails the next ``fail_next`` records."""

    fail_next: int = 0
    fail_as: Failure = Failure.TRANSIENT
    busy_next: int = 0
    down: bool = False  # while down, flush reports nothing: records stay unacknowledged
    closed: bool = False
    clock: Clock | None = None  # when given, a flush while down takes its timeout
    max_record_bytes: int = MAX_RECORD_BYTES  # the client's own check, as the real clients'
    broker_max_bytes: int | None = None  # a broker refusing larger values as too large

    def __post_init__(self) -> None:
        self.pending: list[tuple[Record, int, DeliveryReport]] = []
        self.delivered: list[Record] = []
        self.sends = 0

    def send(self, record: Record, token: int, report: DeliveryReport) -> None:
        from ingest.producer import ClientBusy

        if self.busy_next:
            self.busy_next -= 1
            raise ClientBusy("queue full")
        self.sends += 1
        self.pending.append((record, token, report))

    def poll(self, timeout: float) -> None:
        self.flush(0)

    def flush(self, timeout: float) -> None:
        if self.down:
            if self.clock:
                self.clock.wait(timeout)
            return
        pending, self.pending = self.pending, []
        for record, token, report in pending:
            if self.broker_max_bytes is not None and len(record.value) > self.broker_max_bytes:
                report(token, "MessageSizeTooLargeError: [Error 10] MessageSizeTooLargeError", Failure.TOO_LARGE)
            elif self.fail_next:
                self.fail_next -= 1
                report(token, "KafkaTimeoutError: expired", self.fail_as)
            else:
                self.delivered.append(record)
                report(token, None, None)

    def close(self, timeout: float) -> None:
        self.closed = True


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


@contextmanager
def serving(handle: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """The URL of a loopback server that answers every GET with ``handle``, for answers the mock never gives."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()  # a quick shutdown
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sensor/temperatures"
    finally:
        server.shutdown()
        server.server_close()


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
