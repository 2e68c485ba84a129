"""A stand-in for a PyFlink metric group, for the Python functions' unit tests."""

from __future__ import annotations


class FakeCounter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        self.count += n


class FakeMetrics:
    """Plain groups are transparent; a key-value group (Prometheus: a label) names its counters ``key=value/name``."""

    def __init__(self, counters: dict[str, FakeCounter] | None = None, prefix: str = "") -> None:
        self.counters: dict[str, FakeCounter] = {} if counters is None else counters
        self.prefix = prefix

    def add_group(self, name: str, extra: str | None = None) -> FakeMetrics:
        return self if extra is None else FakeMetrics(self.counters, f"{self.prefix}{name}={extra}/")

    def counter(self, name: str) -> FakeCounter:
        return self.counters.setdefault(self.prefix + name, FakeCounter())
