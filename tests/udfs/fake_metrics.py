"""A stand-in for a PyFlink metric group, for the Python functions' unit tests."""

from __future__ import annotations


class FakeCounter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        self.count += n


class FakeMetrics:
    def __init__(self) -> None:
        self.counters: dict[str, FakeCounter] = {}

    def add_group(self, name: str) -> FakeMetrics:
        return self

    def counter(self, name: str) -> FakeCounter:
        return self.counters.setdefault(name, FakeCounter())
