"""``iot-loadgen``: simulated readings straight to Kafka, at a target rate or as fast as possible.

The GenerateFlowFile of the original flow, for stress tests and benchmarks: ``--count``
readings spread evenly over ``--span`` of event time (24 h in a few minutes, say), starting
in the past so none is in the future. Optionally with the fault mix of the mock API, and
with a copy of every message written to ``--output`` (one message a line) so a test can
compute the expected result from exactly what was sent.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ingest.clock import Clock
from ingest.command_line import add_share_options, shares_from_args, start_command
from ingest.kafka_clients import CLIENTS, make_client
from ingest.producer import DeliveryRefused, Record, ReliableProducer
from ingest.sensor_simulator import FaultMix, SensorSimulator
from readings.parser import epoch_ms_of
from settings import KafkaSettings, Settings
from settings.command_line import (
    OneLineParser,
    UsageError,
    output_file,
    real_number,
    reports_usage_errors,
    topic_name,
    whole_number,
)

log = logging.getLogger("iot-loadgen")
CHUNK = 2000
# Per-worker slots shared with the parent: counters, and when sending began and ended (monotonic µs).
SENT, ACKED, FAILURES, BEGAN, ENDED = range(5)
SLOTS = 5


@dataclass(frozen=True)
class LoadJob:
    kafka: KafkaSettings
    topic: str
    count: int
    start_ms: int
    span_ms: int
    rate: float = 0.0  # readings per second over all processes; 0 for as fast as possible
    processes: int = 1
    client: str = "kafka-python"
    faults: FaultMix = FaultMix()
    seed: int = 0
    timezone: str = "UTC"
    output: Path | None = None


@dataclass(frozen=True)
class LoadSummary:
    sent: int
    acknowledged: int
    delivery_failures: int
    seconds: float
    failed_workers: int

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"sent {self.sent:,}, acknowledged {self.acknowledged:,}, delivery failures {self.delivery_failures:,}, "
            f"in {self.seconds:.1f} s: {self.rate:,.0f} acknowledged readings/s"
            + (f"; {self.failed_workers} worker(s) failed" if self.failed_workers else "")
        )


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``24h``, ``7d``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 15m, 24h or 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    try:
        return timedelta(**{unit: float(match.group(1))})
    except OverflowError:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than {timedelta.max.days} days") from None


def part_path(output: Path, worker: int) -> Path:
    return output.with_name(f"{output.name}.part{worker}")


def produce_share(job: LoadJob, worker: int, counters: Any) -> None:
    """Worker ``worker`` sends readings number worker, worker + processes, ... (event time order)."""
    from geo import RegionIndex

    simulator = SensorSimulator(
        RegionIndex.default(), seed=job.seed * 1000 + worker, faults=job.faults, timezone_name=job.timezone,
        message_faults=True,
    )
    clock = Clock()
    producer = ReliableProducer(make_client(job.client, job.kafka, f"iot-loadgen-{worker}"), clock)
    output = part_path(job.output, worker).open("wb") if job.output else None
    base = SLOTS * worker
    share_rate = job.rate / job.processes
    started = time.monotonic()
    counters[base + BEGAN] = int(started * 1e6)
    try:
        indices = np.arange(worker, job.count, job.processes, dtype=np.int64)
        for first in range(0, len(indices), CHUNK):
            chunk = indices[first : first + CHUNK]
            batch = simulator.batch(job.start_ms + job.span_ms * chunk // job.count, epoch_ms_of(clock.now()))
            send, topic = producer.send, job.topic
            for text, key in zip(batch.texts, batch.keys, strict=True):
                send(Record(topic, key, text))
            if output:
                output.write(b"".join(text + b"\n" for text in batch.texts))
            producer.poll()
            counters[base + SENT], counters[base + ACKED] = producer.sent, producer.acknowledged
            counters[base + FAILURES] = producer.delivery_failures
            if share_rate:
                ahead = producer.sent / share_rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        while not producer.settle(timeout=1.0):
            counters[base + ACKED], counters[base + FAILURES] = producer.acknowledged, producer.delivery_failures
        counters[base + ACKED], counters[base + FAILURES] = producer.acknowledged, producer.delivery_failures
        counters[base + ENDED] = int(time.monotonic() * 1e6)
    except DeliveryRefused as error:
        log.error("worker %d stopped: %s", worker, error)
        sys.exit(3)
    finally:
        if output:
            output.close()
        producer.close()


def run_load(job: LoadJob, progress_every: float = 1.0, show_progress: bool = True) -> LoadSummary:
    """Run the workers, printing a progress line, and sum up what Kafka acknowledged."""
    context = multiprocessing.get_context("spawn")
    counters = context.Array("q", SLOTS * job.processes, lock=False)
    workers = [context.Process(target=produce_share, args=(job, worker, counters)) for worker in range(job.processes)]
    started = time.monotonic()
    for process in workers:
        process.start()
    previous = (started, 0)
    while any(process.is_alive() for process in workers):
        workers[0].join(progress_every)
        now = time.monotonic()
        sent, acked, failures = (sum(counters[kind::SLOTS]) for kind in (SENT, ACKED, FAILURES))
        if show_progress:
            rate = (acked - previous[1]) / (now - previous[0])
            sys.stderr.write(
                f"\rsent {sent:>12,}  acknowledged {acked:>12,} ({acked / job.count:6.1%})  errors {failures:>6,}  "
                f"rate {rate:>9,.0f}/s "
            )
            sys.stderr.flush()
        previous = (now, acked)
    for process in workers:
        process.join()
    # From the first worker's first send to the last one's last ack: start-up is not sending.
    began, ended = min(counters[BEGAN::SLOTS]), max(counters[ENDED::SLOTS])
    seconds = (ended - began) / 1e6 if ended > began else time.monotonic() - started
    if show_progress:
        sys.stderr.write("\n")
    if job.output:
        with job.output.open("wb") as merged:
            for worker in range(job.processes):
                with part_path(job.output, worker).open("rb") as part:
                    shutil.copyfileobj(part, merged)
                part_path(job.output, worker).unlink()
    sent, acked, failures = (sum(counters[kind::SLOTS]) for kind in (SENT, ACKED, FAILURES))
    return LoadSummary(sent, acked, failures, seconds, sum(process.exitcode != 0 for process in workers))


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    parser = OneLineParser(prog="iot-loadgen", description=__doc__)
    parser.add_argument("--count", type=whole_number(1), default=1_000_000, help="readings to send (default %(default)s)")
    parser.add_argument("--rate", type=real_number(0.0), default=0.0, help="readings per second; 0: as fast as possible")
    parser.add_argument("--span", type=parse_duration, default=parse_duration("24h"), help="event time covered")
    parser.add_argument("--start", type=datetime.fromisoformat, default=None,
                        help="first event time (ISO-8601, UTC if naive); default: now minus the span")
    parser.add_argument("--processes", type=whole_number(1, 256), default=1)
    parser.add_argument("--client", choices=CLIENTS, default="kafka-python")
    parser.add_argument("--topic", type=topic_name, default=settings.kafka.readings_topic)
    parser.add_argument("--seed", type=whole_number(0, 2**63 - 1), default=0)
    parser.add_argument("--output", type=output_file, default=None, help="write every message sent, one a line")
    parser.add_argument("--no-progress", action="store_true", help="only the summary")
    add_share_options(parser, "faults (shares of the readings, as iot-mock-api)", FaultMix)
    return parser.parse_args(argv)


@reports_usage_errors("iot-loadgen")
def main(argv: list[str] | None = None) -> int:
    settings, args = start_command(argv, parse_args)
    span = args.span
    try:
        start = args.start or datetime.now(UTC) - span
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        start.astimezone(UTC) + span  # every event time must be a date
    except OverflowError:
        raise UsageError("--start and --span reach outside the years 1 to 9999") from None
    job = LoadJob(
        kafka=settings.kafka,
        topic=args.topic,
        count=args.count,
        start_ms=epoch_ms_of(start),
        span_ms=int(span.total_seconds() * 1000),
        rate=args.rate,
        processes=args.processes,
        client=args.client,
        faults=shares_from_args(args, FaultMix),
        seed=args.seed,
        timezone=settings.rules.timezone,
        output=args.output,
    )
    log.info("sending %d readings over %s of event time from %s to %s with %d %s process(es)",
             job.count, span, start.isoformat(), job.topic, job.processes, job.client)
    summary = run_load(job, show_progress=not args.no_progress)
    print(summary.line())
    return 0 if summary.acknowledged == summary.sent == job.count and not summary.failed_workers else 1


if __name__ == "__main__":
    raise SystemExit(main())
