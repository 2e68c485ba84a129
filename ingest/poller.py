"""``iot-ingest``: poll the sensor API on a fixed grid and publish every reading to Kafka.

One loop, one poll at a time: fetch (with retries), split the array, validate each reading,
produce valid ones to ``sensor.readings`` and broken ones to ``sensor.readings.rejected``,
then wait until Kafka acknowledged all of them before the next poll. Each element is published
or rejected on its own, a record Kafka cannot take becomes a ``message_too_large`` rejection,
and a stop is honoured between batches of elements: what a stop leaves unsent goes to the spool.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import NoReturn, Protocol

from ingest.api_client import ApiCallFailed, ApiRefused, ApiResponse, FetchStopped, SensorApiClient, parse_api_url
from ingest.backoff import Backoff
from ingest.clock import Clock
from ingest.command_line import API_KEY_SOURCES, configured_api_key, start_command
from ingest.kafka_clients import KafkaPythonClient
from ingest.log_escape import escape_lines_of, printable
from ingest.metrics import Metrics, parse_address, serve_metrics
from ingest.producer import RECORD_OVERHEAD_BYTES, DeliveryRefused, Record, ReliableProducer
from ingest.response import MAX_READING_BYTES, oversized_element, split_response, stamp_fetch_time, too_large
from ingest.spool import Spool, UnreadableSpoolFile
from readings import Reading, ReadingParser, Reason, Rejection, locate_readings, rejection_record
from readings.parser import epoch_ms_of
from readings.regions import RegionLookup
from readings.rejected import MAX_RECORD_BYTES
from settings import IngestSettings, KafkaSettings, ReadingRules, Settings

log = escape_lines_of(logging.getLogger("iot-ingest"))

EXIT_OK = 0
EXIT_SPOOLED = 1  # stopped with records kept in the spool, to be sent at the next start
EXIT_MISCONFIGURED = 2  # a bad argument, URL, metrics address or API key: the operator must act
EXIT_KAFKA_REFUSED = 3

# Elements validated and handed to Kafka together: one region lookup each, and the points
# where a stop is honoured. The byte bound keeps a batch's records (a rejection may hold
# its element twice, in raw and detail) small whatever the elements' sizes.
BATCH_ELEMENTS = 1000
BATCH_BYTES = 4 * 1024 * 1024
# Records handed to Kafka and not acknowledged yet, at most: the client buffers them too.
MAX_OUTSTANDING_RECORDS = 10_000
# The longest wait any flag may ask for: longer ones are typing mistakes.
MAX_SECONDS = 7 * 24 * 3600.0


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


@dataclass
class PollTally:
    """What a poll (or a spool replay) handed to Kafka so far."""

    fetched: int = 0
    published: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def ingest_metrics() -> Metrics:
    metrics = Metrics("iot_ingest")
    metrics.declare("polls_total", "counter", "Polls whose response was fetched and published.")
    metrics.declare("poll_failures_total", "counter", "Failed calls to the sensor API, by kind.")
    metrics.declare("readings_fetched_total", "counter", "Elements of the API responses.")
    metrics.declare("readings_published_total", "counter", "Valid readings acknowledged on the readings topic.")
    metrics.declare("rejected_total", "counter", "Readings or whole responses sent to the rejected topic, by reason.")
    metrics.declare("delivery_failures_total", "counter", "Kafka deliveries that failed and were sent again.")
    metrics.declare("undeliverable_total", "counter", "Records Kafka could not take even cut to their first 64 KiB.")
    metrics.declare("skipped_polls_total", "counter", "Grid slots missed because a poll outlasted the interval.")
    metrics.declare("last_poll_latency_seconds", "gauge", "From the start of the API call to the last Kafka ack.")
    metrics.declare("last_success_timestamp_seconds", "gauge", "Unix time of the last published poll.")
    metrics.declare("api_call_seconds", "histogram", "Duration of the successful sensor API calls.")
    metrics.declare("spool_files", "gauge", "Files of undelivered records waiting in the spool for a replay.")
    return metrics


def batches(elements: Iterable[bytes]) -> Iterator[list[bytes]]:
    """``elements`` in order, by at most BATCH_ELEMENTS and about BATCH_BYTES (an element larger goes alone)."""
    batch: list[bytes] = []
    size = 0
    for element in elements:
        if batch and (len(batch) == BATCH_ELEMENTS or size + len(element) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(element)
        size += len(element)
    if batch:
        yield batch


def _reason_of(record: Record) -> str | None:
    """The reason code of one of our rejected records."""
    try:
        return json.loads(record.value).get("reason")
    except (ValueError, AttributeError):
        return None


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
        self._tally = PollTally()
        self._unsent: Iterable[Record] = ()  # the rest of a response a stop left unsent, for the spool

    def run(self, max_polls: int | None = None) -> int:
        """Poll until stopped (or ``max_polls`` published polls); returns the exit code."""
        try:
            if not self._deliver_spooled():
                return EXIT_SPOOLED
            return self._loop(max_polls)
        except ApiRefused as error:
            log.error("stopping: %s", error)
            return EXIT_MISCONFIGURED
        except DeliveryRefused as error:
            path = self._spool.save(chain(self._producer.abandon(), self._unsent))
            log.error("stopping: %s; %s", error, f"unacknowledged records kept in {path}" if path else "the spool is as it was")
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
            except FetchStopped:
                break
            except ApiCallFailed as error:
                failures += 1
                delay = self._backoff.delay(failures, at_least=error.retry_after)
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
        """Publish or reject every element; False when a stop left records in the spool."""
        self._tally = tally = PollTally()
        batches = self._record_batches(response, self._clock.now(), tally)
        self._unsent = ()
        for batch in batches:
            for record in batch:
                self._producer.send(record)
            if self._clock.stopping:  # honoured within a batch: the rest of the response waits in the spool
                self._unsent = chain.from_iterable(batches)
                break
        settled = self._settle()
        kept = self._spool.save(chain(() if settled else self._producer.abandon(), self._unsent))
        if kept is None:
            report = PollReport(tally.fetched, tally.published, tally.rejected, response.elapsed_seconds,
                                self._clock.monotonic() - started)
            self._count(report)
            log.info(report.line())
            return True
        log.warning("stopping before the poll was published: the records kafka has not acknowledged are kept in %s", kept)
        return False

    def _record_batches(self, response: ApiResponse, fetched_at: datetime, tally: PollTally) -> Iterator[list[Record]]:
        """The response's records, batch by batch: validated only when asked for, so memory stays bounded."""
        split = split_response(response)
        if isinstance(split, Rejection):
            log.warning("the whole response is rejected: %s: %s", split.reason, split.detail)
            yield [self._rejection_record(split, fetched_at, tally)]
            return
        now_ms = epoch_ms_of(fetched_at)
        for batch in batches(split.elements()):
            tally.fetched += len(batch)
            yield self._records_of(batch, fetched_at, now_ms, tally)
        if split.excess is not None:
            log.warning("the rest of the response is rejected: %s: %s", split.excess.reason, split.excess.detail)
            yield [self._rejection_record(split.excess, fetched_at, tally)]

    def _records_of(self, elements: list[bytes], fetched_at: datetime, now_ms: int, tally: PollTally) -> list[Record]:
        texts: list[bytes] = []
        outcomes: list[Reading | Rejection] = []
        for element in elements:
            oversized = oversized_element(element)
            if oversized is None and self._settings.stamp_fetch_time:
                element = stamp_fetch_time(element, fetched_at)
            texts.append(element)
            outcomes.append(self._parser.parse(element, now_ms) if oversized is None else oversized)
        valid = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, Reading)]
        located = locate_readings([outcome for outcome in outcomes if isinstance(outcome, Reading)], self._regions)
        for index, place in zip(valid, located, strict=True):
            if isinstance(place, Rejection):
                outcomes[index] = place
        records = []
        for text, outcome in zip(texts, outcomes, strict=True):
            if isinstance(outcome, Reading):
                records.append(Record(self._topics.readings_topic, outcome.id.encode("utf-8"), text))
                tally.published += 1
            else:
                records.append(self._rejection_record(outcome, fetched_at, tally))
        return records

    def _rejection_record(self, rejection: Rejection, now: datetime, tally: PollTally) -> Record:
        """The rejected record of ``rejection``, cut (``truncated``) to what the topic and the producer take."""
        limit = min(MAX_RECORD_BYTES, self._producer.max_record_bytes - RECORD_OVERHEAD_BYTES)
        tally.rejected[rejection.reason] += 1
        return Record(self._topics.rejected_topic, *rejection_record(rejection, "ingest", now, limit))

    def _reject_too_large(self) -> bool:
        """Send a ``message_too_large`` record for each record Kafka cannot take; True if there was one."""
        refused = self._producer.take_too_large()
        tally = self._tally
        for record, why in refused:
            reason = _reason_of(record) if record.topic == self._topics.rejected_topic else None
            if reason == Reason.MESSAGE_TOO_LARGE:
                # Already cut to 64 KiB of raw text: nothing smaller is left to send.
                self.metrics.inc("undeliverable_total")
                log.error("kafka cannot take a %d-byte message_too_large record (key %r): %s; it is dropped",
                          len(record.value), record.key, why)
                continue
            if record.topic == self._topics.readings_topic:
                tally.published -= 1
            elif reason is not None and tally.rejected[reason]:  # counted by this poll (a replayed record was not)
                tally.rejected[reason] -= 1
            reading_id = record.key.decode("utf-8", "backslashreplace") if record.key is not None else None
            rejection = too_large(record.value, f"kafka cannot take this {len(record.value)}-byte message for "
                                  f"{record.topic}: {why}", reading_id, MAX_READING_BYTES)
            log.warning("kafka cannot take a %d-byte record for %s (%s): rejected as message_too_large",
                        len(record.value), record.topic, why)
            self._producer.send(self._rejection_record(rejection, self._clock.now(), tally))
        return bool(refused)

    def _count(self, report: PollReport) -> None:
        metrics = self.metrics
        metrics.inc("polls_total")
        metrics.inc("readings_fetched_total", report.fetched)
        metrics.inc("readings_published_total", report.published)
        self._count_kafka_outcomes(report.rejected)
        metrics.set("last_poll_latency_seconds", report.latency_seconds)
        metrics.observe("api_call_seconds", report.api_seconds)
        metrics.set("last_success_timestamp_seconds", self._clock.now().timestamp())

    def _count_kafka_outcomes(self, rejected: Counter[str]) -> None:
        for reason, count in rejected.items():
            self.metrics.inc("rejected_total", count, reason=str(reason))
        self.metrics.set("delivery_failures_total", self._producer.delivery_failures)

    def _settle(self) -> bool:
        """Wait for every ack, rejecting what Kafka cannot take; False when a stop outlasted the shutdown timeout."""
        give_up_at: float | None = None
        waited = 0
        while True:
            settled = self._producer.settle(timeout=1.0)
            if self._reject_too_large():
                continue
            if settled:
                return True
            waited += 1
            if waited % 10 == 0:
                log.warning("kafka has not acknowledged %d record(s) for %d s; waiting", self._producer.unacknowledged, waited)
            if self._clock.stopping:
                give_up_at = give_up_at or self._clock.monotonic() + self._settings.shutdown_timeout_seconds
                if self._clock.monotonic() >= give_up_at:
                    return False

    def _deliver_spooled(self) -> bool:
        """Replay the spool; False when records stay in it (a stop or an outage during the replay).

        A file is deleted once each of its records is acknowledged or rejected, and never copied:
        until then it stays as it is, so a stop, an outage or a refusal leaves the spool unchanged
        (the records of it Kafka did acknowledge come again at the next start: exact duplicates).
        """
        self._tally = tally = PollTally()
        complete = [path for path in self._spool.files() if not self._clock.stopping and self._send_spooled(path)]
        try:
            settled = self._settle()
        except DeliveryRefused:
            self._producer.abandon()  # every record not acknowledged is still in its file
            raise
        if not settled:
            self._producer.abandon()
            log.error("stopping with kafka unreachable: the spool stays as it was, for the next start")
            return False
        self._count_kafka_outcomes(tally.rejected)
        for path in complete:
            path.unlink()
        left = self._spool.files()
        self.metrics.set("spool_files", len(left))
        return not left

    def _send_spooled(self, path: Path) -> bool:
        """Send the records of one spool file; True if all were sent (not stopped, not unreadable)."""
        sent = 0
        try:
            for record in Spool.load(path):
                if self._clock.stopping:
                    log.warning("stopping during the replay of %s after %d record(s): the file stays", path, sent)
                    return False
                self._producer.send(record)
                sent += 1
        except UnreadableSpoolFile as error:
            aside = Spool.set_aside(path)
            log.error("the spool file %s cannot be read (%s): moved to %s after %d record(s)", path, error, aside, sent)
            return False
        log.info("sent %d record(s) spooled in %s", sent, path)
        return True


class _OneLineParser(argparse.ArgumentParser):
    """A wrong flag is told in one line on stderr (exit 2), not drowned in the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")


def _seconds(lowest: float, lowest_allowed: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds from ``lowest`` (excluded unless allowed) to MAX_SECONDS."""
    bound = f"from {lowest:g}" if lowest_allowed else f"above {lowest:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (value >= lowest if lowest_allowed else value > lowest) and value <= MAX_SECONDS):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds {bound} to {MAX_SECONDS:g}")
        return value

    return parse


def _positive_count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type: the text itself, once ``check`` (which raises ValueError) accepts it."""

    def parse(text: str) -> str:
        try:
            check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return parse


def _metrics_address(text: str) -> str:
    return text and _checked(parse_address)(text)


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    """The flags, whose defaults come from the settings and are checked like the flags themselves."""
    ingest = settings.ingest
    parser = _OneLineParser(prog="iot-ingest", description=__doc__, epilog=API_KEY_SOURCES)
    positive, from_zero = _seconds(0, False), _seconds(0, True)
    parser.add_argument("--url", type=_checked(parse_api_url), default=settings.sensor_api.url,
                        help="the sensor API, http or https (default %(default)s)")
    parser.add_argument("--interval", type=positive, default=str(ingest.poll_interval_seconds), help="seconds between polls")
    parser.add_argument("--timeout", type=positive, default=str(ingest.request_timeout_seconds),
                        help="seconds an API call may take in all (connection, headers, body)")
    parser.add_argument("--max-backoff", type=positive, default=str(ingest.max_backoff_seconds),
                        help="longest wait between retries, Retry-After included")
    parser.add_argument("--stamp-fetch-time", action=argparse.BooleanOptionalAction, default=ingest.stamp_fetch_time,
                        help="replace each reading's timestamp by the fetch time (keeping it as source_timestamp)")
    parser.add_argument("--metrics-address", type=_metrics_address, default=ingest.metrics_address,
                        help="host:port of /metrics; empty: off")
    parser.add_argument("--spool-dir", default=ingest.spool_dir, help="where undeliverable records wait for the next start")
    parser.add_argument("--shutdown-timeout", type=from_zero, default=str(ingest.shutdown_timeout_seconds),
                        help="how long a stop waits for Kafka before spooling")
    parser.add_argument("--polls", type=_positive_count, default=None, help="stop after this many published polls")
    return parser.parse_args(argv)


def stop_on_signals(clock: Clock) -> None:
    """SIGTERM and SIGINT request a stop, which every wait, call and batch loop of the poller honours."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: clock.request_stop())


KAFKA_RETRY_SECONDS = 5.0


def connected_kafka_client(
    kafka: KafkaSettings, clock: Clock, connect: Callable[[], KafkaPythonClient] | None = None
) -> KafkaPythonClient | None:
    """The producer's client once Kafka answers; None if a stop comes first.

    Kafka down at start is the same outage as Kafka down later: wait (one line per attempt),
    poll nothing meanwhile, and honour a stop at once, rather than end with a traceback.
    """
    from kafka.errors import KafkaError

    connect = connect or (lambda: KafkaPythonClient(kafka, "iot-ingest"))
    while not clock.stopping:
        try:
            return connect()
        except KafkaError as error:
            log.warning("kafka at %s does not answer (%s): trying again in %g s",
                        kafka.bootstrap_servers, error, KAFKA_RETRY_SECONDS)
            clock.wait(KAFKA_RETRY_SECONDS)
    return None


def main(argv: list[str] | None = None) -> int:
    settings, args = start_command(argv, parse_args)
    api_key = configured_api_key(settings, log)
    if api_key is None:
        return EXIT_MISCONFIGURED
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
    stop_on_signals(clock)
    metrics = ingest_metrics()
    try:
        metrics_server = serve_metrics(metrics, ingest.metrics_address) if ingest.metrics_address else None
    except OSError as error:
        log.error("cannot serve metrics on %s: %s", ingest.metrics_address, error.strerror or error)
        return EXIT_MISCONFIGURED
    if metrics_server:
        log.info("metrics on http://%s:%d/metrics", *metrics_server.server_address[:2])
    kafka_client = connected_kafka_client(settings.kafka, clock)
    if kafka_client is None:
        log.info("stopped before Kafka answered: nothing was polled (exit code %d)", EXIT_OK)
        return EXIT_OK
    poller = Poller(
        SensorApiClient(args.url, api_key, ingest.request_timeout_seconds, clock=clock),
        ReliableProducer(kafka_client, clock, max_outstanding=MAX_OUTSTANDING_RECORDS),
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
