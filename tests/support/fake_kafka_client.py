"""A Kafka client in memory, for the producer and poller tests: it acknowledges, fails or is busy on demand."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.clock import Clock
from ingest.kafka_clients import MAX_RECORD_BYTES
from ingest.producer import DeliveryReport, Failure, Record


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
