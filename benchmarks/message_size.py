"""How many bytes a reading costs: as JSON, in an API response, and in Kafka's record format.

    .venv/bin/python -m benchmarks.message_size [--count 100000]

No service needed. The readings come from the simulator behind ``iot-mock-api`` and
``iot-loadgen`` (valid readings, UUID ids, the brief's fields); the Kafka figures are record
batches of the v2 format (the one brokers store and replicate as produced) built with
kafka-python's own batch builder, keyed by id and compressed with zstd like our producers
(``ingest/kafka_clients.py``). Two batch shapes:

- a poll of the brief's API: 1,000 readings spread over the topic's 4 partitions by key, so
  about 250 records per batch;
- flat out (``iot-loadgen``, 1 GB per minute): full 256 KiB batches (the producers' batch size).

docs/brief-answers.md takes its budget and sizing from these figures.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks import records
from ingest.kafka_clients import BATCH_BYTES
from ingest.sensor_simulator import SensorSimulator

ZSTD, NONE = 4, 0
PARTITIONS = 4
POLL_READINGS = 1_000


def record_batch_size(keys: list[bytes], values: list[bytes], compression: int) -> int:
    """Bytes of one v2 record batch holding these records (as produced, stored and replicated)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder

    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=compression, is_transactional=False, producer_id=1, producer_epoch=0,
        base_sequence=0, batch_size=1 << 30,
    )
    now_ms = int(time.time() * 1000)
    for offset, (key, value) in enumerate(zip(keys, values, strict=True)):
        builder.append(offset, timestamp=now_ms + offset, key=key, value=value, headers=[])
    return len(builder.build())


def per_reading(keys: list[bytes], values: list[bytes], per_batch: int, compression: int) -> float:
    """Mean bytes per record when the records are cut into batches of ``per_batch``."""
    total = sum(
        record_batch_size(keys[at : at + per_batch], values[at : at + per_batch], compression)
        for at in range(0, len(values) - per_batch + 1, per_batch)
    )
    return total / (len(values) // per_batch * per_batch)


def main() -> None:
    from geo import RegionIndex

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    now_ms = int(time.time() * 1000)
    batch = SensorSimulator(RegionIndex.default(), seed=0).batch(now_ms - np.arange(args.count, 0, -1) * 10, now_ms)
    values, keys = batch.texts, [key or b"" for key in batch.keys]
    sizes = [len(value) for value in values]
    mean = statistics.fmean(sizes)
    response = len(b"[" + b",\n".join(values[:POLL_READINGS]) + b"]")
    full_batch = max(1, int(BATCH_BYTES // (mean + len(keys[0]) + 10)))
    print(f"{args.count:,} simulated readings")
    print(f"reading as JSON (the Kafka value):     mean {mean:.1f} B, min {min(sizes)}, max {max(sizes)}")
    print(f"key (the reading's id):                {len(keys[0])} B")
    print(f"API response of {POLL_READINGS:,} readings:        {response:,} B")
    kafka = {}
    for key, label, per_batch in (
        ("poll_batch", f"poll batch ({POLL_READINGS // PARTITIONS} records)", POLL_READINGS // PARTITIONS),
        ("full_batch", f"full batch ({full_batch:,} records, 256 KiB)", full_batch),
    ):
        raw = per_reading(keys, values, per_batch, NONE)
        packed = per_reading(keys, values, per_batch, ZSTD)
        print(f"Kafka, {label:<37} {raw:6.1f} B/reading uncompressed, {packed:6.1f} B/reading zstd "
              f"({packed / raw:.0%})")
        kafka[key] = {"records": per_batch, "bytes_uncompressed": raw, "bytes_zstd": packed}
    print(f"1 GB per minute of readings as JSON:   {1e9 / 60 / mean:,.0f} readings/s")
    records.write("message_size", {
        "readings": args.count, "json_bytes_mean": mean, "json_bytes_min": min(sizes), "json_bytes_max": max(sizes),
        "key_bytes": len(keys[0]), "api_response_bytes": response, "api_response_readings": POLL_READINGS,
        "kafka": kafka, "one_gb_per_minute_readings_per_s": 1e9 / 60 / mean,
    })


if __name__ == "__main__":
    main()
