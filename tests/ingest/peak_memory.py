"""The poller's peak memory on hostile bodies within the 64 MiB cap (issue 13: memory followed the items).

Each body is served over loopback HTTP to the real API client and poller, into a Kafka stand-in
that buffers up to 32 MiB of records before acknowledging them (kafka-python's default
``buffer_memory``), in a process of its own; the figure is the growth of the peak resident set
(VmHWM) over the process's size once ready to poll.

    python -m tests.ingest.peak_memory                 # every body, one process each
    python -m tests.ingest.peak_memory --body ones     # one body, in this process
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ingest.api_client import SensorApiClient
from ingest.clock import Clock
from ingest.kafka_clients import MAX_RECORD_BYTES
from ingest.poller import MAX_OUTSTANDING_RECORDS, Poller, ingest_metrics
from ingest.producer import DeliveryReport, Record, ReliableProducer
from settings import IngestSettings, KafkaSettings, ReadingRules

CAP = 64 * 1024 * 1024
BUFFER_BYTES = 32 * 1024 * 1024


def _fill(unit: bytes, size: int = CAP) -> bytes:
    """An array of ``unit`` repeated to about ``size`` bytes."""
    return b"[" + (unit + b",") * ((size - 2) // (len(unit) + 1) - 1) + unit + b"]"


def _reading(extra: bytes, reading_id: bytes = b"r") -> bytes:
    return (b'{"id": "' + reading_id + b'", "timestamp": "2019-02-19 14:00:00", "lat": 48.1, "lon": -1.7, '
            b'"temperature": 9.5' + extra + b"}")


BODIES: dict[str, Callable[[], bytes]] = {
    # The two: 594 MB and 814,000 records; 1.2 GB.
    "issue_2M_empty_objects": lambda: b"[" + b"{}," * 1_999_999 + b"{}]",
    "issue_6M_ones": lambda: b"[" + b"1," * 5_999_999 + b"1]",
    # 21 million elements: the 2 million {} at the full cap.
    "empty_objects": lambda: _fill(b"{}"),
    # 32 million elements of two bytes each.
    "ones": lambda: _fill(b"1"),
    # Valid readings: 100,000 published, the rest one rejection.
    "valid_readings": lambda: _fill(_reading(b"")),
    # One element of 64 MiB of brackets: the walk's bracket budget.
    "brackets": lambda: b"[[" + b"[]," * ((CAP - 4) // 3 - 1) + b"[]]]",
    # Nested as deep as the body allows.
    "deep": lambda: b"[" * CAP,
    # Elements just under the 64 KiB reading limit whose rejection repeats them (timestamp of quotes: raw, detail escaped).
    "large_rejections": lambda: _fill(_reading(b"", b"q")[:-1].replace(b"2019-02-19 14:00:00", b'\\"' * 32_000) + b"}"),
    # Elements over the reading limit, full of control characters (6 bytes each once escaped in raw).
    "oversized_elements": lambda: _fill(b'"' + b"\x01" * (512 * 1024) + b'"'),
    # Not JSON: rejected whole, raw cut to its head.
    "not_json": lambda: b"<html>" + b"\xc3\xa9" * ((CAP - 6) // 2),
    # Over the cap: read up to it, then rejected whole.
    "over_the_cap": lambda: _fill(b"{}", CAP + 1024 * 1024),
}


class BufferingKafka:
    """Acknowledges records once 32 MiB are buffered, or on flush, like a fast broker behind kafka-python."""

    max_record_bytes = MAX_RECORD_BYTES

    def __init__(self) -> None:
        self._pending: list[tuple[int, DeliveryReport]] = []
        self._buffered = 0
        self.records = 0

    def send(self, record: Record, token: int, report: DeliveryReport) -> None:
        self._pending.append((token, report))
        self._buffered += len(record.value)
        self.records += 1
        if self._buffered > BUFFER_BYTES:
            self.flush(0)

    def poll(self, timeout: float) -> None:
        self.flush(0)

    def flush(self, timeout: float) -> None:
        pending, self._pending, self._buffered = self._pending, [], 0
        for token, report in pending:
            report(token, None, None)

    def close(self, timeout: float) -> None:
        pass


def _reset_high_water_mark() -> None:
    """Forget the peak so far (building the body), so the one measured is the poll's (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def _high_water_mark_kib() -> tuple[int, int]:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def measure(kind: str) -> dict[str, float | int | str]:
    """Poll one ``kind`` of body once; the memory and time it took."""
    from geo import RegionIndex
    from tests.support.http_server import send_body, serving

    regions = RegionIndex.default()
    body = BODIES[kind]()

    def answer(request) -> None:
        send_body(request, body, content_type=None)

    kafka = BufferingKafka()
    clock = Clock()
    with tempfile.TemporaryDirectory() as spool, serving(answer) as url:
        settings = IngestSettings(spool_dir=spool, metrics_address="", request_timeout_seconds=60.0)
        poller = Poller(SensorApiClient(url, "key", 60.0, clock=clock),
                        ReliableProducer(kafka, clock, max_outstanding=MAX_OUTSTANDING_RECORDS),
                        regions, KafkaSettings(), ReadingRules(), settings, clock, ingest_metrics())
        _reset_high_water_mark()
        ready_kib, _ = _high_water_mark_kib()
        started = time.monotonic()
        poller.run(max_polls=1)
        seconds = time.monotonic() - started
        _, peak_kib = _high_water_mark_kib()
    return {"body": kind, "body_mib": round(len(body) / 2**20, 1), "records": kafka.records,
            "ready_mib": round(ready_kib / 1024), "peak_mib": round(peak_kib / 1024),
            "growth_mib": round((peak_kib - ready_kib) / 1024), "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--body", choices=sorted(BODIES), help="measure this body in this process (default: each in its own)")
    args = parser.parse_args()
    if args.body:
        import logging

        logging.disable(logging.WARNING)  # the rejections' warnings quote megabytes of detail
        print(json.dumps(measure(args.body)), flush=True)
        return
    columns = ("body", "body_mib", "records", "ready_mib", "peak_mib", "growth_mib", "seconds")
    print(f"{'body':<24}{'body MiB':>9}{'records':>10}{'ready MiB':>12}{'peak MiB':>11}{'growth MiB':>13}{'seconds':>10}")
    for kind in BODIES:
        measured = subprocess.run([sys.executable, "-m", "tests.ingest.peak_memory", "--body", kind],
                                  check=True, capture_output=True, text=True)
        figures = json.loads(measured.stdout)
        widths = (9, 10, 12, 11, 13, 10)
        print(f"{kind:<24}" + "".join(f"{figures[name]:>{width},}" for name, width in zip(columns[1:], widths, strict=True)),
              flush=True)


if __name__ == "__main__":
    main()
