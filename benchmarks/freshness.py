"""Freshness of the hourly means: how long after Kafka acknowledges a reading it is counted in Cassandra.

Submits the job at ``--parallelism`` on a fresh topic and keyspace, then sends ``--rate`` valid
readings per second stamped "now" for ``--seconds``. Four times a second it notes how many readings
Kafka has acknowledged and how many the table ``region_hourly_temperature`` counts; the
freshness of a count is the time from the moment Kafka had acknowledged that many readings to
the moment the table showed them. Prints percentiles after a warm-up. Needs the local stack
(make up).

    .venv/bin/python -m benchmarks.freshness --rate 5000 --seconds 180 --parallelism 2
"""

from __future__ import annotations

import argparse
import bisect
import threading
import time

import numpy as np

from benchmarks import records
from geo import RegionIndex
from ingest.clock import Clock
from ingest.kafka_clients import make_client
from ingest.producer import Record, ReliableProducer
from ingest.sensor_simulator import SensorSimulator
from readings.parser import epoch_ms_of
from testkit.pipeline_run import PipelineRun


def send_steadily(run: PipelineRun, rate: float, seconds: float, acked: list[tuple[float, int]]) -> None:
    """``rate`` readings per second, in batches of a tenth of a second, noting acknowledgements."""
    simulator = SensorSimulator(RegionIndex.default(), seed=7)
    clock = Clock()
    producer = ReliableProducer(make_client("kafka-python", run.settings.kafka, "freshness"), clock)
    topic, per_batch = run.settings.kafka.readings_topic, max(1, round(rate / 10))
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            now_ms = epoch_ms_of(clock.now())
            batch = simulator.batch(np.full(per_batch, now_ms, dtype=np.int64), now_ms)
            for text, key in zip(batch.texts, batch.keys, strict=True):
                producer.send(Record(topic, key, text))
            producer.poll()
            acked.append((time.monotonic(), producer.acknowledged))
            time.sleep(max(0.0, (len(acked) / 10) - elapsed))
        producer.settle(timeout=30)
        acked.append((time.monotonic(), producer.acknowledged))
    finally:
        producer.close()


def counted(run: PipelineRun) -> int:
    return sum(row.readings for row in run.table_rows()["region_hourly_temperature"])


def freshness(acked: list[tuple[float, int]], seen: list[tuple[float, int]], warm_up_s: float) -> list[float]:
    """For each observation of the table, the delay since Kafka had acknowledged what it shows."""
    ack_times, ack_counts = [t for t, _ in acked], [n for _, n in acked]
    delays = []
    for at, count in seen:
        index = bisect.bisect_left(ack_counts, count)
        if count and index < len(ack_counts) and at - ack_times[0] >= warm_up_s:
            delays.append(at - ack_times[index])
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=5000, help="readings per second")
    parser.add_argument("--seconds", type=float, default=180, help="how long to send")
    parser.add_argument("--warm-up", type=float, default=30, help="seconds left out of the figures")
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--checkpoint-interval", type=int, help="seconds (default: flink-conf/config.yaml's)")
    records.add_name_option(parser, "freshness")
    args = parser.parse_args()

    run = PipelineRun.create("fresh", checkpoint_interval_s=args.checkpoint_interval)
    run.submit(args.parallelism)
    try:
        acked: list[tuple[float, int]] = []
        sender = threading.Thread(target=send_steadily, args=(run, args.rate, args.seconds, acked))
        sender.start()
        seen: list[tuple[float, int]] = []
        while sender.is_alive() or (acked and (not seen or seen[-1][1] < acked[-1][1])):
            seen.append((time.monotonic(), counted(run)))
            if not sender.is_alive() and time.monotonic() - acked[-1][0] > 300:
                raise SystemExit(f"the table stopped at {seen[-1][1]:,} of {acked[-1][1]:,} readings")
            time.sleep(0.25)
        sender.join()
    finally:
        run.cancel()
        run.drop()
    delays = np.array(freshness(acked, seen, args.warm_up))
    checkpoint_s = run.flink_options.get("execution.checkpointing.interval", "flink-conf's interval")
    print(f"\n{acked[-1][1]:,} readings at {args.rate:,.0f}/s for {args.seconds:.0f} s, parallelism {args.parallelism}, "
          f"checkpoint every {checkpoint_s}; freshness after a {args.warm_up:.0f} s warm-up "
          f"({len(delays)} observations, four a second):")
    seconds = {"p50": float(np.percentile(delays, 50)), "p99": float(np.percentile(delays, 99)), "max": float(delays.max())}
    for name, value in seconds.items():
        print(f"  {name}  {value:6.1f} s")
    records.write("freshness", {
        "readings": acked[-1][1], "rate": args.rate, "seconds": args.seconds, "parallelism": args.parallelism,
        "warm_up_s": args.warm_up, "observations": len(delays), "freshness_s": seconds,
    }, name=args.record)


if __name__ == "__main__":
    main()
