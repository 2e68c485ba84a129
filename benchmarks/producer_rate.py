"""Acknowledged readings per second into the local Kafka, kafka-python against confluent-kafka.

    .venv/bin/python -m benchmarks.producer_rate [--count 300000] [--processes 1 2]

Runs the load generator (same simulator, same no-loss producer: acks=all, idempotence, zstd)
once per client and process count, each into a fresh 4-partition topic deleted afterwards,
and prints one line per run. The figures in docs/ingestion.md come from this script.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from dataclasses import replace

from benchmarks import records
from ingest.kafka_clients import CLIENTS
from ingest.loadgen import LoadJob, run_load
from settings import Settings


def main() -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300_000, help="readings per run")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    records.add_name_option(parser, "producer_rate")
    args = parser.parse_args()
    kafka = Settings.from_env().kafka
    admin = KafkaAdminClient(client_id="bench", **kafka.client_options())
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; {args.count:,} readings per run")
    rates: dict[str, dict[str, float]] = {}
    try:
        for client in args.clients:
            for processes in args.processes:
                topic = f"bench-readings-{uuid.uuid4().hex[:8]}"
                admin.create_topics([NewTopic(topic, kafka.partitions, 1)])
                now_ms = int(time.time() * 1000)
                job = LoadJob(kafka=replace(kafka), topic=topic, count=args.count, start_ms=now_ms - 86_400_000,
                              span_ms=86_400_000, processes=processes, client=client)
                summary = run_load(job, show_progress=False)
                print(f"{client:>15}, {processes} process(es): {summary.rate:>9,.0f} acknowledged readings/s "
                      f"({summary.acknowledged:,} of {summary.sent:,} in {summary.seconds:.1f} s, "
                      f"load average {os.getloadavg()[0]:.1f})")
                admin.delete_topics([topic])
                rates.setdefault(client.replace("-", "_"), {})[f"processes_{processes}"] = summary.rate
    finally:
        admin.close()
    records.write("producer_rate", {"readings_per_run": args.count, "acknowledged_readings_per_s": rates},
                  name=args.record)


if __name__ == "__main__":
    main()
