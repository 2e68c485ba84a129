"""``iot-ingest``: poll the sensor API on a fixed grid and publish every reading to Kafka.

One loop, one poll at a time: fetch (with retries), split the array, validate each reading,
produce valid ones to ``sensor.readings`` and broken ones to ``sensor.readings.rejected``,
then wait until Kafka acknowledged all of them before the next poll.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, Sequence

from ingest.api_client import ApiCallFailed, ApiRefused, ApiResponse, SensorApiClient
from ingest.backoff import Backoff
from ingest.clock import Clock
from ingest.command_line import API_KEY_SOURCES, configured_api_key, start_command
from ingest.kafka_clients import KafkaPythonClient
from ingest.metrics import Metrics, serve_metrics
from ingest.producer import DeliveryRefused, Record, ReliableProducer
from ingest.response import split_response, stamp_fetch_time
from ingest.spool import Spool
from readings import Reading, ReadingParser, Rejection, locate_readings, rejection_record
from readings.parser import epoch_ms_of
from readings.regions import RegionLookup
from settings import IngestSettings, KafkaSettings, ReadingRules, Settings

log = logging.getLogger("iot-ingest")

EXIT_OK = 0
EXIT_SPOOLED = 1  # stopped with records kept in the spool, to be sent at the next start
EXIT_API_REFUSED = 2
EXIT_KAFKA_REFUSED = 3


class ReadingSource(Protocol):
    def fetch(self) -> ApiResponse: ...


@dataclass(frozen=True)
class PollSchedule:
    """Polls on the grid ``start + k * interval``: a slow poll never pushes the later ones back."""

    start: float
    interval: float

    def next_after(self, moment: float) -> float:
        return self.start + self.interval * (math.floor((moment - self.start) / self.interval) + 1)


@dataclass(frozen=True)
class PollReport:
    fetched: int
    published: int
    rejected: Counter[str]
    api_seconds: float
    latency_seconds: float

    def line(self) -> str:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(self.rejected.items()))
        return (
            f"poll: fetched {self.fetched}, published {self.published}, "
            f"rejected {sum(self.rejected.values())}{f' ({reasons})' if reasons else ''}, "
            f"latency {self.latency_seconds:.3f} s (API {self.api_seconds:.3f} s)"
        )


def ingest_metrics() -> Metrics:
    metrics = Metrics("iot_ingest")
    metrics.declare("polls_total", "counter", "Polls whose response was fetched and published.")
    metrics.declare("poll_failures_total", "counter", "Failed calls to the sensor API, by kind.")
    metrics.declare("readings_fetched_total", "counter", "Elements of the API responses.")
    metrics.declare("readings_published_total", "counter", "Valid readings acknowledged on the readings topic.")
    metrics.declare("rejected_total", "counter", "Readings or whole responses sent to the rejected topic, by reason.")
    metrics.declare("delivery_failures_total", "counter", "Kafka deliveries that failed and were sent again.")
    metrics.declare("skipped_polls_total", "counter", "Grid slots missed because a poll outlasted the interval.")
    metrics.declare("last_poll_latency_seconds", "gauge", "From the start of the API call to the last Kafka ack.")
    metrics.declare("last_success_timestamp_seconds", "gauge", "Unix time of the last published poll.")
    return metrics


class Poller:
    def __init__(
        self,
        source: ReadingSource,
        producer: ReliableProducer,
        regions: RegionLookup,
        topics: KafkaSettings,
        rules: ReadingRules,
        settings: IngestSettings,
        clock: Clock,
        metrics: Metrics,
        backoff: Backoff | None = None,
    ) -> None:
        self._source = source
        self._producer = producer
        self._regions = regions
        self._topics = topics
        self._parser = ReadingParser(rules)
        self._settings = settings
        self._clock = clock
        self.metrics = metrics
        self._backoff = backoff or Backoff(max_seconds=settings.max_backoff_seconds)
        self._spool = Spool(Path(settings.spool_dir))

    def run(self, max_polls: int | None = None) -> int:
        """Poll until stopped (or ``max_polls`` published polls); returns the exit code."""
        try:
            if not self._deliver_spooled():
                return EXIT_SPOOLED
            return self._loop(max_polls)
        except ApiRefused as error:
            log.error("stopping: %s", error)
            return EXIT_API_REFUSED
        except DeliveryRefused as error:
            path = self._spool.save(self._producer.abandon())
            log.error("stopping: %s; unacknowledged records kept in %s", error, path)
            return EXIT_KAFKA_REFUSED
        finally:
            self._producer.close(timeout=5.0)

    def _loop(self, max_polls: int | None) -> int:
        clock = self._clock
        schedule = PollSchedule(clock.monotonic(), self._settings.poll_interval_seconds)
        next_poll = schedule.start
        failures = polls = 0
        while max_polls is None or polls < max_polls:
            if clock.wait(next_poll - clock.monotonic()):
                break
            started = clock.monotonic()
            try:
                response = self._source.fetch()
            except ApiCallFailed as error:
                failures += 1
                delay = error.retry_after if error.retry_after is not None else self._backoff.delay(failures)
                self.metrics.inc("poll_failures_total", kind=error.kind)
                log.warning("poll failed: %s; attempt %d, next try in %.1f s", error, failures, delay)
                next_poll = clock.monotonic() + delay
                continue
            failures = 0
            if not self._publish(response, started):
                return EXIT_SPOOLED
            polls += 1
            finished = clock.monotonic()
            next_poll = schedule.next_after(finished)
            skipped = math.floor((finished - started) / schedule.interval)
            if skipped:
                self.metrics.inc("skipped_polls_total", skipped)
                log.warning("the poll took %.1f s, longer than the interval: %d poll(s) skipped", finished - started, skipped)
        return EXIT_OK

    def _publish(self, response: ApiResponse, started: float) -> bool:
        fetched_at = self._clock.now()
        elements = split_response(response)
        if isinstance(elements, Rejection):
            outcomes: Sequence[Reading | Rejection] = [elements]
            fetched = 0
            log.warning("the whole response is rejected: %s: %s", elements.reason, elements.detail)
        else:
            if self._settings.stamp_fetch_time:
                elements = [stamp_fetch_time(element, fetched_at) for element in elements]
            outcomes = self._validate(elements, epoch_ms_of(fetched_at))
            fetched = len(elements)

        rejected: Counter[str] = Counter()
        for outcome in outcomes:
            if isinstance(outcome, Reading):
                self._producer.send(Record(self._topics.readings_topic, outcome.id.encode("utf-8"), outcome.raw.encode("utf-8")))
            else:
                key, value = rejection_record(outcome, "ingest", fetched_at)
                self._producer.send(Record(self._topics.rejected_topic, key, value))
                rejected[outcome.reason] += 1
        if not self._settle():
            return False

        report = PollReport(fetched, len(outcomes) - sum(rejected.values()), rejected, response.elapsed_seconds,
                            self._clock.monotonic() - started)
        self._count(report)
        log.info(report.line())
        return True

    def _validate(self, elements: list[str], now_ms: int) -> list[Reading | Rejection]:
        outcomes = [self._parser.parse(element, now_ms) for element in elements]
        valid = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, Reading)]
        located = locate_readings([outcomes[index] for index in valid], self._regions)  # type: ignore[misc]
        for index, place in zip(valid, located):
            if isinstance(place, Rejection):
                outcomes[index] = place
        return outcomes

    def _count(self, report: PollReport) -> None:
        metrics = self.metrics
        metrics.inc("polls_total")
        metrics.inc("readings_fetched_total", report.fetched)
        metrics.inc("readings_published_total", report.published)
        for reason, count in report.rejected.items():
            metrics.inc("rejected_total", count, reason=str(reason))
        metrics.set("delivery_failures_total", self._producer.delivery_failures)
        metrics.set("last_poll_latency_seconds", report.latency_seconds)
        metrics.set("last_success_timestamp_seconds", self._clock.now().timestamp())

    def _settle(self) -> bool:
        """Wait for every ack; when a stop outlasts the shutdown timeout, spool what is left."""
        give_up_at: float | None = None
        waited = 0
        while not self._producer.settle(timeout=1.0):
            waited += 1
            if waited % 10 == 0:
                log.warning("kafka has not acknowledged %d record(s) for %d s; waiting", self._producer.unacknowledged, waited)
            if self._clock.stopping:
                give_up_at = give_up_at or self._clock.monotonic() + self._settings.shutdown_timeout_seconds
                if self._clock.monotonic() >= give_up_at:
                    path = self._spool.save(self._producer.abandon())
                    log.error("stopping with kafka unreachable: unacknowledged records kept in %s", path)
                    return False
        return True

    def _deliver_spooled(self) -> bool:
        for path in self._spool.files():
            records = Spool.load(path)
            log.info("sending %d record(s) spooled in %s", len(records), path)
            for record in records:
                self._producer.send(record)
            if not self._settle():
                return False
            path.unlink()
        return True


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    ingest = settings.ingest
    parser = argparse.ArgumentParser(prog="iot-ingest", description=__doc__, epilog=API_KEY_SOURCES)
    parser.add_argument("--url", default=settings.sensor_api.url, help="the sensor API (default %(default)s)")
    parser.add_argument("--interval", type=float, default=ingest.poll_interval_seconds, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=ingest.request_timeout_seconds, help="seconds per API call")
    parser.add_argument("--max-backoff", type=float, default=ingest.max_backoff_seconds, help="longest wait between retries")
    parser.add_argument("--stamp-fetch-time", action=argparse.BooleanOptionalAction, default=ingest.stamp_fetch_time,
                        help="replace each reading's timestamp by the fetch time (keeping it as source_timestamp)")
    parser.add_argument("--metrics-address", default=ingest.metrics_address, help="host:port of /metrics; empty: off")
    parser.add_argument("--spool-dir", default=ingest.spool_dir, help="where undeliverable records wait for the next start")
    parser.add_argument("--shutdown-timeout", type=float, default=ingest.shutdown_timeout_seconds,
                        help="how long a stop waits for Kafka before spooling")
    parser.add_argument("--polls", type=int, default=None, help="stop after this many published polls")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    settings, args = start_command(argv, parse_args)
    api_key = configured_api_key(settings, log)
    if api_key is None:
        return EXIT_API_REFUSED
    ingest = replace(
        settings.ingest,
        poll_interval_seconds=args.interval,
        request_timeout_seconds=args.timeout,
        max_backoff_seconds=args.max_backoff,
        stamp_fetch_time=args.stamp_fetch_time,
        metrics_address=args.metrics_address,
        spool_dir=args.spool_dir,
        shutdown_timeout_seconds=args.shutdown_timeout,
    )
    from geo import RegionIndex

    clock = Clock()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: clock.request_stop())
    metrics = ingest_metrics()
    metrics_server = serve_metrics(metrics, ingest.metrics_address) if ingest.metrics_address else None
    if metrics_server:
        log.info("metrics on http://%s:%d/metrics", *metrics_server.server_address[:2])
    poller = Poller(
        SensorApiClient(args.url, api_key, ingest.request_timeout_seconds),
        ReliableProducer(KafkaPythonClient(settings.kafka, "iot-ingest"), clock),
        RegionIndex.default(),
        settings.kafka,
        settings.rules,
        ingest,
        clock,
        metrics,
    )
    log.info("polling %s every %g s into %s", args.url, ingest.poll_interval_seconds, settings.kafka.readings_topic)
    code = poller.run(args.polls)
    if metrics_server:
        metrics_server.shutdown()
    log.info("stopped (exit code %d)", code)
    return code


if __name__ == "__main__":
    sys.exit(main())
