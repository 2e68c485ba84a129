#!/usr/bin/env python
"""The dashboard's memory: idle, with its maximum of live pages, and with every page stalled.

    .venv/bin/python -m benchmarks.dashboard_memory                  # 100 pages, 30 days of records

One process: the app (``dashboard.app``) under uvicorn on a free port of 127.0.0.1, fed in
process a month of hourly rows for the 18 regions (what a results topic read from its
beginning holds), then PAGES raw connections to ``/events``. Resident memory (VmRSS) after:
the replay; the pages connected, each having read its snapshot (and one page more, refused); CHANGES more rows pushed while
no page reads (each page's queue fills, it is dropped). The pages'
sockets are in the same process, but their buffers are the kernel's, not resident memory.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import uvicorn

from benchmarks import records as benchmark_records
from dashboard.app import create_app
from dashboard.feed import Deliver, Record
from geo import REGION_NAMES
from settings import DashboardSettings, Settings


class ReplayFeed:
    """A feed that delivers given records at start, and more on demand."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.deliver: Deliver = lambda batch: None  # until started
        self.replayed = threading.Event()

    def start(self, deliver: Deliver) -> None:
        self.deliver = deliver

        def replay() -> None:
            for start in range(0, len(self.records), 500):  # the consumer's batches
                deliver(self.records[start:start + 500])
            self.replayed.set()

        threading.Thread(target=replay, daemon=True).start()

    def stop(self) -> None:
        pass


class NoHistory:
    def last_hours(self, region: str, hours: int) -> list:
        return []

    def close(self) -> None:
        pass


def records(first: datetime, hours: int, mean: float) -> list[Record]:
    rows: list[Record] = []
    for step in range(hours):
        hour = (first + timedelta(hours=step)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for region in REGION_NAMES:
            value = {"hour": hour, "region": region, "mean_temperature": mean + step % 7, "readings": 120,
                     "mean_temperature_3h_before": 8.1, "updated_at": hour}  # fmt: skip
            rows.append((f"{hour}/{region}".encode(), json.dumps(value, ensure_ascii=False).encode()))
    return rows


def changes(newest: datetime, first: int, count: int) -> list[Record]:
    """``count`` new means for rows of the kept hours, each one a change (made as sent: the
    benchmark's own input must not weigh in the resident memory)."""
    rows: list[Record] = []
    for number in range(first, first + count):
        hour = (newest - timedelta(hours=number % 24)).strftime("%Y-%m-%dT%H:%M:%SZ")
        region = REGION_NAMES[number % len(REGION_NAMES)]
        value = {"hour": hour, "region": region, "mean_temperature": 30 + number / 1000, "readings": 120,
                 "mean_temperature_3h_before": None, "updated_at": hour}  # fmt: skip
        rows.append((f"{hour}/{region}".encode(), json.dumps(value, ensure_ascii=False).encode()))
    return rows


def resident_mib() -> float:
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kib / 1024


def open_page(port: int) -> tuple[socket.socket, int]:
    """A connection to /events that has read its response's head and snapshot; its status code."""
    page = socket.create_connection(("127.0.0.1", port))
    page.sendall(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
    received = b""
    while b"]}\n\n" not in received:  # the end of the snapshot's rows
        chunk = page.recv(1 << 16)
        if not chunk:
            break
        received += chunk
        if received.startswith(b"HTTP/1.1 503"):
            break
    return page, int(received.split(b" ", 2)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--changes", type=int, default=20_000)
    benchmark_records.add_name_option(parser, "dashboard_memory")
    args = parser.parse_args()
    bounds = DashboardSettings(max_clients=args.pages)
    newest = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = newest - timedelta(hours=24 * args.days - 1)
    feed = ReplayFeed(records(first, 24 * args.days, 5.0))
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    app = create_app(Settings(dashboard=bounds), feed, NoHistory())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    started_mib = resident_mib()
    print(f"resident memory after start: {started_mib:.0f} MiB")
    feed.replayed.wait()
    replayed_mib = resident_mib()
    print(f"after replaying {len(feed.records)} records ({args.days} days x 18 regions), "
          f"{bounds.hours_kept} hours kept: {replayed_mib:.0f} MiB")
    pages = [open_page(port)[0] for _ in range(args.pages)]
    pages_mib = resident_mib()
    print(f"with {args.pages} live pages, each past its snapshot: {pages_mib:.0f} MiB")
    refused, status = open_page(port)
    print(f"one page more: HTTP {status}")
    for start in range(0, args.changes, 500):
        feed.deliver(changes(newest, start, min(500, args.changes - start)))
    time.sleep(1)
    stalled_mib, dropped = resident_mib(), app.state.live.slow_pages_dropped
    print(f"after {args.changes} more changes that no page read (queues of {bounds.client_queue_events}): "
          f"{stalled_mib:.0f} MiB, {dropped} pages dropped")
    benchmark_records.write("dashboard_memory", {
        "pages": args.pages, "records_replayed": len(feed.records), "hours_kept": bounds.hours_kept,
        "changes": args.changes, "one_page_more_http_status": status, "pages_dropped": dropped,
        "resident_mib": {"started": started_mib, "replayed": replayed_mib, "with_pages": pages_mib,
                         "after_changes": stalled_mib},
    }, name=args.record)
    for page in [*pages, refused]:
        page.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
