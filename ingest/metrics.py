"""Counters of a long-running command, served as Prometheus text on ``/metrics``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]
LabelSet = tuple[tuple[str, str], ...]
# Seconds, from a fast local call to the API's 10 s default timeout.
DEFAULT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels_text(labels: LabelSet) -> str:
    return "{" + ",".join(f'{key}="{_escape(val)}"' for key, val in labels) + "}" if labels else ""


class Metrics:
    """Named counters, gauges and histograms with labels; thread safe, rendered in the text exposition format."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._lock = threading.Lock()
        self._declared: dict[str, tuple[Kind, str]] = {}
        self._values: dict[str, dict[LabelSet, float]] = {}
        self._buckets: dict[str, tuple[float, ...]] = {}
        # Per histogram and label set: the count in each bucket (not cumulative), then the sum.
        self._observed: dict[str, dict[LabelSet, tuple[list[int], float]]] = {}

    def declare(self, name: str, kind: Kind, help_text: str, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        if kind == "histogram" and list(buckets) != sorted(set(buckets)):
            raise ValueError(f"{name}: the buckets {buckets} are not strictly increasing")
        with self._lock:
            self._declared[name] = (kind, help_text)
            self._values.setdefault(name, {})
            if kind == "histogram":
                self._buckets[name] = tuple(buckets)
                self._observed.setdefault(name, {})

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Count ``value`` in histogram ``name``: in the first bucket whose bound is at least it (or +Inf)."""
        key = tuple(sorted(labels.items()))
        bounds = self._buckets[name]
        with self._lock:
            counts, total = self._observed[name].get(key, ([0] * (len(bounds) + 1), 0.0))
            counts[next((i for i, bound in enumerate(bounds) if value <= bound), len(bounds))] += 1
            self._observed[name][key] = (counts, total + value)

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._values[name]
            series[key] = series.get(key, 0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values[name][tuple(sorted(labels.items()))] = value

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._values[name].get(tuple(sorted(labels.items())), 0)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, (kind, help_text) in self._declared.items():
                full = f"{self.prefix}_{name}"
                lines += [f"# HELP {full} {help_text}", f"# TYPE {full} {kind}"]
                if kind == "histogram":
                    lines += self._histogram_lines(name, full)
                for labels, value in sorted(self._values[name].items()):
                    lines.append(f"{full}{_labels_text(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"

    def _histogram_lines(self, name: str, full: str) -> list[str]:
        lines = []
        bounds = [*map(_number, self._buckets[name]), "+Inf"]
        for labels, (counts, total) in sorted(self._observed[name].items()):
            cumulative = 0
            for bound, count in zip(bounds, counts, strict=True):
                cumulative += count
                lines.append(f"{full}_bucket{_labels_text((*labels, ('le', bound)))} {cumulative}")
            lines += [f"{full}_sum{_labels_text(labels)} {_number(total)}", f"{full}_count{_labels_text(labels)} {cumulative}"]
        return lines


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` as its parts; ``ValueError`` saying what is wrong otherwise."""
    host, colon, port = address.rpartition(":")
    if not colon or not host or not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ValueError(f"{address!r} is not host:port (such as 127.0.0.1:9464; port 0 picks a free one)")
    if not host.isprintable() or " " in host:
        raise ValueError(f"{address!r}: the host holds spaces or control characters")
    return host, int(port)


def serve_metrics(metrics: Metrics, address: str) -> ThreadingHTTPServer:
    """Serve ``GET /metrics`` on ``host:port`` (port 0 picks a free one) from a daemon thread.

    ``ValueError`` for an address that is not host:port, ``OSError`` when it cannot be bound.
    """
    host, port = parse_address(address)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = metrics.render().encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - scrapes are not news
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server
