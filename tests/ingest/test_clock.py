"""The ingestion's clock: a wait ends as soon as a stop is requested."""

from __future__ import annotations

from ingest.clock import Clock


def test_clock_waits_end_on_stop() -> None:
    clock = Clock()
    assert clock.now().tzinfo is not None and clock.monotonic() > 0
    assert not clock.wait(0) and not clock.stopping
    clock.request_stop()
    assert clock.wait(60) and clock.stopping
