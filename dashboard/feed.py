"""Where the changes come from: the results topic, read by a Kafka consumer in a thread of its own.

A feed hands raw records (key, value), a batch at a time, to ``deliver`` from its own thread,
which returns once they are taken; the dashboard decodes them (``dashboard.records``). Tests
give the app a fake feed with the same two methods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from settings import KafkaSettings

log = logging.getLogger(__name__)

Record = tuple[bytes | None, bytes | None]
Deliver = Callable[[list[Record]], None]
RETRY_SECONDS = 5.0
POLL_MS = 200  # a stop is honoured within this; records arrive as soon as fetched
# A stop waits this long for the consumer to close; one still connecting is a daemon thread and
# ends with the process.
STOP_SECONDS = 3.0


class ResultsFeed(Protocol):
    def start(self, deliver: Deliver) -> None:
        """Begin calling ``deliver([(key, value), ...])`` from another thread."""

    def stop(self) -> None:
        """Stop delivering; returns once the feed's thread has ended, or after a few seconds."""


class KafkaResultsFeed:
    """Every record of the compacted results topic from its beginning, then each new one.

    No consumer group: each dashboard reads every partition itself, commits nothing and starts
    from the beginning each time, which is how it rebuilds the current rows. The job writes the
    topic in Kafka transactions, committed at its checkpoints (10 s locally): read uncommitted by
    default, a change shows at once, and a value a failure undid is overwritten when the job
    writes that row again; ``read_committed`` waits for the checkpoint and never shows one.
    Kafka down or the topic missing: one line, a wait, and a new start from the beginning.
    """

    def __init__(self, kafka: KafkaSettings, read_committed: bool = False,
                 new_consumer: Callable[[], Any] | None = None) -> None:  # fmt: skip
        self._kafka = kafka
        self._isolation = "read_committed" if read_committed else "read_uncommitted"
        self._new_consumer = new_consumer or self._kafka_consumer
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, deliver: Deliver) -> None:
        self._thread = threading.Thread(target=self._run, args=(deliver,), name="results-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_SECONDS)

    def _run(self, deliver: Deliver) -> None:
        from kafka.errors import KafkaError

        topic = self._kafka.results_topic
        while not self._stopping.is_set():
            try:
                self._follow(topic, deliver)
            except KafkaError as error:
                log.warning("reading %s from %s failed (%s): starting again in %g s",
                            topic, self._kafka.bootstrap_servers, error, RETRY_SECONDS)
                self._stopping.wait(RETRY_SECONDS)

    def _kafka_consumer(self) -> Any:
        from kafka import KafkaConsumer

        return KafkaConsumer(group_id=None, enable_auto_commit=False, isolation_level=self._isolation,
                             client_id="iot-dashboard", **self._kafka.client_options())  # fmt: skip

    def _follow(self, topic: str, deliver: Deliver) -> None:
        from kafka import TopicPartition

        consumer = self._new_consumer()
        try:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                log.warning("topic %s does not exist on %s yet: looking again in %g s",
                            topic, self._kafka.bootstrap_servers, RETRY_SECONDS)
                self._stopping.wait(RETRY_SECONDS)
                return
            partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            log.info("reading %s (%d partitions, %s) from the beginning", topic, len(partitions), self._isolation)
            while not self._stopping.is_set():
                records = [(record.key, record.value) for batch in consumer.poll(timeout_ms=POLL_MS).values()
                           for record in batch]  # fmt: skip
                if records:
                    deliver(records)
        finally:
            consumer.close()
