"""What ``iot-reconcile`` costs for one hour, and for the whole run, as the readings topic grows.

    .venv/bin/python -m benchmarks.reconcile_cost [--per-hour 2000] [--days 1 2 4]

For each size, a fresh readings topic holds ``days`` of readings, ``per-hour`` per hour, each
stamped a minute after its event time, as the broker stamps a live stream. (The benchmark's topic
takes the producer's timestamps, ``CreateTime``, so days of Kafka time can be written in seconds;
the production topic's ``LogAppendTime`` gives the same order, so the same offsets by time.)
Then it times ``reconcile_run`` for one hour in the middle of the last day, and for the whole
run, and prints the messages each read. Needs the local stack (``scripts/stack.sh up``); the
topics it creates are deleted at the end. The figures in docs/reconciliation.md come from its
record, ``benchmarks/records/reconcile_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from benchmarks import records
from infra.provision import ensure_schema
from reconcile import reconcile
from reconcile.sources import read_run
from settings import Settings

HOUR = timedelta(hours=1)
PLACES = [(48.11, -1.68), (49.18, -0.37), (45.76, 4.83), (43.30, 5.37)]


def fill(settings: Settings, topic: str, start: datetime, hours: int, per_hour: int) -> int:
    """``hours`` of readings from ``start``, keyed by id, each stamped a minute after its event time."""
    producer = KafkaProducer(acks=1, linger_ms=50, batch_size=262144, compression_type="zstd", **settings.kafka.client_options())
    step = HOUR / per_hour
    for number in range(hours * per_hour):
        moment = start + step * number
        lat, lon = PLACES[number % len(PLACES)]
        reading_id = f"r{number}"
        body = {"id": reading_id, "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"), "lat": lat, "lon": lon,
                "temperature": 10.0 + number % 20, "country": "France"}  # fmt: skip
        stamp = int((moment + timedelta(minutes=1)).timestamp() * 1000)
        producer.send(topic, key=reading_id.encode(), value=json.dumps(body).encode(), timestamp_ms=stamp)
    producer.flush()
    producer.close()
    return hours * per_hour


def timed(settings: Settings, hours: list[datetime] | None) -> tuple[float, int]:
    """Seconds for one reconciliation (``reconcile_run``'s two steps), and the messages it read."""
    began = time.perf_counter()
    run = read_run(settings, hours)
    reconcile(run.messages, run.rejected, run.late, run.tables, settings.rules)
    return time.perf_counter() - began, len(run.messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-hour", type=int, default=2000, help="readings per hour")
    parser.add_argument("--days", type=int, nargs="+", default=[1, 2, 4], help="days of readings per topic")
    args = parser.parse_args()
    base = Settings.from_env()
    ensure_schema(base.cassandra)
    admin = KafkaAdminClient(client_id="bench-reconcile", **base.kafka.client_options())
    created: list[str] = []
    start = (datetime.now(UTC) - timedelta(days=max(args.days) + 1)).replace(minute=0, second=0, microsecond=0)
    sizes: list[dict[str, float]] = []
    print(f"{'days':>4}  {'messages':>9}  {'one hour: read':>14}  {'seconds':>7}  {'whole run: read':>15}  {'seconds':>7}")
    try:
        for days in args.days:
            tag = uuid.uuid4().hex[:8]
            names = [f"bench-{tag}.readings", f"bench-{tag}.rejected", f"bench-{tag}.late"]
            stamped_by_producer = {"message.timestamp.type": "CreateTime"}
            admin.create_topics([NewTopic(names[0], base.kafka.partitions, 1, topic_configs=stamped_by_producer),
                                 *[NewTopic(name, base.kafka.partitions, 1) for name in names[1:]]])  # fmt: skip
            created += names
            topics = replace(base.kafka, readings_topic=names[0], rejected_topic=names[1], late_topic=names[2])
            settings = replace(base, kafka=topics)
            total = fill(settings, names[0], start, days * 24, args.per_hour)
            hour = start + (days * 24 - 12) * HOUR
            one_s, one_read = timed(settings, [hour])
            whole_s, whole_read = timed(settings, None)
            print(f"{days:>4}  {total:>9,}  {one_read:>14,}  {one_s:>7.2f}  {whole_read:>15,}  {whole_s:>7.2f}")
            sizes.append({"days": days, "messages": total, "one_hour_read": one_read, "one_hour_s": one_s,
                          "whole_run_read": whole_read, "whole_run_s": whole_s})
    finally:
        admin.delete_topics(created)
        admin.close()
    records.write("reconcile_cost", {"per_hour": args.per_hour, "sizes": sizes})


if __name__ == "__main__":
    main()
