"""The job's consumer lag and the pipeline's freshness, measured from Kafka, served to Prometheus.

Freshness is the age of the oldest reading Kafka has acknowledged that the job has not yet
committed: the job commits its offsets when a checkpoint completes, and by then every reading
before them is in Cassandra (the writer's upserts are synchronous, before the barrier). So it
bounds from above the time from a reading's acknowledgement to its row's update, by at most one
checkpoint interval and its duration. It is measured outside the job on purpose: a metric the job
published would vanish exactly when the job stops, whereas here a stopped job shows as a
freshness that grows by one second a second. The probe reads offsets and one record per lagging
partition; it writes nothing, so no mean is touched.

    python -m monitoring.kafka_probe [--address 127.0.0.1:9465] [--interval 5]
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.metrics import Metrics, parse_address, serve_metrics
from settings import KafkaSettings, Settings

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = "127.0.0.1:9465"


@dataclass(frozen=True)
class PartitionPosition:
    """Where the job's consumer group stands on one partition: ``committed`` is None before its first commit."""

    partition: int
    earliest: int
    committed: int | None
    end: int

    @property
    def next_unprocessed(self) -> int:
        """The first offset the job has not committed (the earliest kept one before any commit)."""
        return self.earliest if self.committed is None else max(self.committed, self.earliest)

    @property
    def lag(self) -> int:
        return max(0, self.end - self.next_unprocessed)


def freshness_seconds(positions: Iterable[PartitionPosition], timestamp_ms_at: Mapping[int, int], now_ms: int) -> float:
    """The age of the oldest uncommitted record over the lagging partitions; 0 when the job is caught up.

    ``timestamp_ms_at`` holds, per lagging partition, the Kafka timestamp of the record at its
    ``next_unprocessed`` offset (a partition missing from it, e.g. its record just expired, is skipped).
    """
    ages = [now_ms - timestamp_ms_at[p.partition] for p in positions if p.lag and p.partition in timestamp_ms_at]
    return max(0.0, max(ages, default=0) / 1000)


class KafkaPositions:
    """Offsets of the readings topic and of the job's consumer group, and the timestamps at them."""

    def __init__(self, kafka: KafkaSettings, topic: str, group: str) -> None:
        from kafka import KafkaConsumer
        from kafka.admin import KafkaAdminClient

        options = kafka.client_options()
        self._topic, self._group = topic, group
        self._admin = KafkaAdminClient(client_id="iot-kafka-probe", request_timeout_ms=5000, **options)
        # No group: the probe must never join or commit for the job's group.
        self._consumer = KafkaConsumer(client_id="iot-kafka-probe", group_id=None, enable_auto_commit=False,
                                       max_partition_fetch_bytes=64 * 1024, request_timeout_ms=10_000, **options)

    def positions(self) -> list[PartitionPosition]:
        from kafka import TopicPartition

        partitions = self._consumer.partitions_for_topic(self._topic) or set()
        tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        earliest, end = self._consumer.beginning_offsets(tps), self._consumer.end_offsets(tps)
        offsets = self._admin.list_group_offsets({self._group: tps}).get(self._group, {})
        # A partition the group never committed comes back with offset -1.
        committed = {tp.partition: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        return [PartitionPosition(tp.partition, earliest[tp], committed.get(tp.partition), end[tp]) for tp in tps]

    def timestamps_at(self, positions: Iterable[PartitionPosition]) -> dict[int, int]:
        """The Kafka timestamp of the record at each lagging partition's next unprocessed offset."""
        from kafka import TopicPartition

        lagging = {TopicPartition(self._topic, p.partition): p.next_unprocessed for p in positions if p.lag}
        if not lagging:
            return {}
        self._consumer.assign(list(lagging))
        for tp, offset in lagging.items():
            self._consumer.seek(tp, offset)
        found: dict[int, int] = {}
        deadline = time.monotonic() + 5
        while len(found) < len(lagging) and time.monotonic() < deadline:
            for tp, records in self._consumer.poll(timeout_ms=500).items():
                if records and tp.partition not in found:
                    found[tp.partition] = records[0].timestamp
                    self._consumer.pause(tp)
        self._consumer.assign([])
        return found

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()


def probe_metrics() -> Metrics:
    metrics = Metrics("iot_pipeline")
    metrics.declare("freshness_seconds", "gauge",
                    "Age of the oldest acknowledged reading the job has not committed (0 when caught up).")
    metrics.declare("consumer_lag_records", "gauge", "Readings on the topic past the job's committed offset, by partition.")
    metrics.declare("consumer_group_committed", "gauge", "1 once the job's consumer group has committed offsets.")
    metrics.declare("probe_errors_total", "counter", "Probe rounds that could not read Kafka.")
    metrics.declare("probe_last_success_timestamp_seconds", "gauge", "Unix time of the last complete probe round.")
    return metrics


def record_round(metrics: Metrics, positions: list[PartitionPosition], timestamps: Mapping[int, int], now_ms: int) -> None:
    """Publish one probe round."""
    for position in positions:
        metrics.set("consumer_lag_records", position.lag, partition=str(position.partition))
    metrics.set("consumer_group_committed", float(any(p.committed is not None for p in positions)))
    metrics.set("freshness_seconds", freshness_seconds(positions, timestamps, now_ms))
    metrics.set("probe_last_success_timestamp_seconds", now_ms / 1000)


def run(kafka: Callable[[], Any], metrics: Metrics, interval_s: float, stop: threading.Event) -> None:
    """Probe every ``interval_s`` until ``stop``; Kafka unreachable counts an error and the round is retried."""
    positions_source = None
    while not stop.is_set():
        try:
            positions_source = positions_source or kafka()
            positions = positions_source.positions()
            record_round(metrics, positions, positions_source.timestamps_at(positions), int(time.time() * 1000))
        except Exception as error:  # noqa: BLE001 - any Kafka failure is one failed round, counted and logged
            log.warning("probe round failed: %s", error)
            metrics.inc("probe_errors_total")
            if positions_source is not None:
                positions_source.close()
            positions_source = None
        stop.wait(interval_s)


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="iot-kafka-probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=DEFAULT_ADDRESS, help="host:port of /metrics (default %(default)s)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        parse_address(args.address)
    except ValueError as error:
        parser.error(str(error))
    if not args.interval > 0:
        parser.error("--interval must be above 0")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # a refused connection is one line of ours, not twenty
    metrics = probe_metrics()
    serve_metrics(metrics, args.address)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    kafka, topic, group = settings.kafka, settings.kafka.readings_topic, settings.job.consumer_group
    log.info("probing %s for consumer group %s; metrics on http://%s/metrics", topic, group, args.address)
    run(lambda: KafkaPositions(kafka, topic, group), metrics, args.interval, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
