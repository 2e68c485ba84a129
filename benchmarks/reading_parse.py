"""How fast one message becomes a Reading: the per-message cost the poller and the Flink job pay.

    .venv/bin/python -m benchmarks.reading_parse [--count 200000]

Prints readings/s (and microseconds each) for valid messages and for a mix with 20 % broken ones.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks import records
from ingest.sensor_simulator import FaultMix, SensorSimulator
from readings import ReadingParser
from settings import ReadingRules


def measure(texts: list[bytes], now_ms: int, repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in messages per second."""
    parse = ReadingParser(ReadingRules()).parse
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            parse(text, now_ms)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> None:
    from geo import RegionIndex

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    now_ms = int(time.time() * 1000)
    times = now_ms - np.arange(args.count, 0, -1)
    figures = {}
    for key, label, faults in (("valid", "valid", FaultMix()), ("broken_20_percent", "20% broken", FaultMix(malformed=0.2))):
        texts = SensorSimulator(RegionIndex.default(), seed=1, faults=faults, message_faults=True).batch(times, now_ms).texts
        rate = measure(texts, now_ms)
        print(f"parse_reading, {label:>10}: {rate:>10,.0f} messages/s ({1e6 / rate:.2f} µs each)")
        figures[key] = {"messages_per_s": rate, "us_per_message": 1e6 / rate}
    records.write("reading_parse", {"messages": args.count, **figures})


if __name__ == "__main__":
    main()
