"""Waiting for a running pipeline to reach a state, with the last value seen when it does not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float, every_s: float = 2.0) -> T:
    """Poll ``probe`` until ``done`` holds; the last value explains a timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; last: {value!r}"[:4000])
        time.sleep(every_s)
