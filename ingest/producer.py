"""The no-loss producer shared by the poller and the load generator.

The client library already retries inside its delivery timeout; this layer adds what it does
not: a record whose delivery finally failed is counted and sent again, and the caller can
wait until every record it handed over is acknowledged by all in-sync replicas. A record
Kafka can never take (too large) is handed back to the caller, which decides what becomes
of it, instead of stopping everything: one bad record must not wedge the others.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple, Protocol

from ingest.backoff import Backoff
from ingest.clock import Clock
from ingest.log_escape import escape_lines_of

log = escape_lines_of(logging.getLogger(__name__))


class Record(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes


# Estimated bytes a record takes beyond its key and value in a produce request (batch header,
# varints, attributes), rounded up: a record passes the client's size check if it fits with it.
RECORD_OVERHEAD_BYTES = 1024


def record_bytes(record: Record) -> int:
    return len(record.key or b"") + len(record.value) + RECORD_OVERHEAD_BYTES


class Failure(Enum):
    """Why a delivery failed, as far as what to do next is concerned."""

    TRANSIENT = "transient"  # send it again
    TOO_LARGE = "too_large"  # this record can never be produced: handed back to the caller
    REFUSED = "refused"  # Kafka refuses records for good (not authorised, no such topic): stop


# (token given to send, None on success or the error text, None on success or why it failed)
DeliveryReport = Callable[[int, "str | None", "Failure | None"], None]


class ClientBusy(Exception):
    """The client cannot take a record now (local queue full, no metadata yet): wait, then retry."""


class RecordTooLarge(Exception):
    """The client refuses this record at once: it is larger than a request may be."""


class DeliveryRefused(Exception):
    """Kafka refuses records for good (not authorised, no such topic): a configuration problem."""


class DeliveryClient(Protocol):
    """What the producer needs from a Kafka client library (see ``ingest.kafka_clients``)."""

    max_record_bytes: int  # the largest key + value + RECORD_OVERHEAD_BYTES it can send

    def send(self, record: Record, token: int, report: DeliveryReport) -> None:
        """Queue one record (``RecordTooLarge`` if it never can); ``report`` is called once, maybe from another thread."""

    def poll(self, timeout: float) -> None:
        """Give the client a chance to run delivery reports."""

    def flush(self, timeout: float) -> None:
        """Wait up to ``timeout`` for queued records to be reported."""

    def close(self, timeout: float) -> None: ...


class ReliableProducer:
    def __init__(
        self, client: DeliveryClient, clock: Clock, backoff: Backoff | None = None, max_outstanding: int = 100_000
    ) -> None:
        self._client = client
        self._max_outstanding = max_outstanding
        self._clock = clock
        self._backoff = backoff or Backoff(base_seconds=0.2, max_seconds=5.0, min_seconds=0.1)
        self._next_token = 0
        self._outstanding: dict[int, Record] = {}  # handed to the client, not yet reported
        self._failed: deque[int] = deque()  # reported failed, waiting to be sent again
        self._too_large: deque[tuple[Record, str]] = deque()  # never producible, for the caller
        self._refusal: str | None = None
        self._failed_rounds = 0  # consecutive settle rounds that had to resend, for the backoff
        self._report = self._on_report  # bound once: it is passed with every record
        self.sent = 0
        self.acknowledged = 0
        self.delivery_failures = 0

    @property
    def unacknowledged(self) -> int:
        return len(self._outstanding)

    @property
    def max_record_bytes(self) -> int:
        return self._client.max_record_bytes

    def fits(self, record: Record) -> bool:
        """Whether the client can send ``record`` at all."""
        return record_bytes(record) <= self._client.max_record_bytes

    def send(self, record: Record) -> None:
        """Hand one record over; waits while the client is busy, so memory stays bounded.

        A record too large to produce is not sent: ``take_too_large`` hands it back.
        """
        if not self.fits(record):
            why = f"{record_bytes(record)} bytes, more than the {self.max_record_bytes} a record may take"
            self._too_large.append((record, why))
            return
        while len(self._outstanding) >= self._max_outstanding:
            self.poll()
            self._client.poll(0.01)
        token = self._next_token
        self._next_token = token + 1
        self._outstanding[token] = record
        self._hand_over(token, record)
        self.sent += 1

    def _hand_over(self, token: int, record: Record) -> None:
        busy_rounds = 0
        while True:
            try:
                self._client.send(record, token, self._report)
                return
            except RecordTooLarge as error:
                self._outstanding.pop(token, None)
                self._too_large.append((record, str(error)))
                return
            except ClientBusy as busy:
                busy_rounds += 1
                if busy_rounds % 50 == 1:
                    log.warning("kafka client busy (%s); waiting before sending more", busy)
                self._client.poll(0.05)
                self._clock.wait(min(0.05 * busy_rounds, 1.0))

    def _on_report(self, token: int, error: str | None, failure: Failure | None) -> None:
        # Runs on the client's thread (kafka-python) or inside poll/flush (confluent-kafka); each
        # counter has a single writer, and dict.pop and deque.append are atomic, so no lock is needed.
        if error is None:
            self._outstanding.pop(token, None)
            self.acknowledged += 1
            return
        self.delivery_failures += 1
        if failure is Failure.TOO_LARGE:
            record = self._outstanding.pop(token, None)
            if record is not None:
                self._too_large.append((record, error))
        elif failure is Failure.REFUSED:
            self._refusal = f"kafka refused a record for good: {error}"
        else:
            self._failed.append(token)
        if self.delivery_failures % 1000 == 1:
            log.warning("delivery failed (%s); %d failures so far, the record will be sent again", error, self.delivery_failures)

    def settle(self, timeout: float) -> bool:
        """Resend what failed and wait up to ``timeout`` s; True once every record is acknowledged."""
        deadline = self._clock.monotonic() + timeout
        while True:
            if self._refusal:
                raise DeliveryRefused(self._refusal)
            failed = self._take_failed()
            if failed:
                self._failed_rounds += 1
                pause = self._backoff.delay(self._failed_rounds)
                self._clock.wait(min(pause, max(0.0, deadline - self._clock.monotonic())))
                for token in failed:
                    self._hand_over(token, self._outstanding[token])
            if not self._outstanding:
                self._failed_rounds = 0
                return True
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return False
            self._client.flush(min(remaining, 1.0))

    def take_too_large(self) -> list[tuple[Record, str]]:
        """The records that can never be produced, with why, since the last call: the caller's to reject."""
        taken = []
        while self._too_large:
            taken.append(self._too_large.popleft())
        return taken

    def _take_failed(self) -> list[int]:
        taken = []
        while self._failed:
            taken.append(self._failed.popleft())
        return sorted(taken)  # in sending order, so versions of a reading keep theirs

    def poll(self) -> None:
        """Serve delivery reports and resend failures without waiting (for long send loops)."""
        self._client.poll(0)
        for token in self._take_failed():
            self._hand_over(token, self._outstanding[token])

    def abandon(self) -> list[Record]:
        """Give up waiting: the records not acknowledged yet, in sending order, for safekeeping."""
        outstanding = dict(self._outstanding)  # one atomic copy: reports may still arrive
        records = [outstanding[token] for token in sorted(outstanding)]
        self._outstanding.clear()
        self._failed.clear()
        return records

    def close(self, timeout: float = 5.0) -> None:
        self._client.close(timeout)
