"""Time as the ingestion sees it, in one place so tests can replace it with a fake one."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall and monotonic time, and waits that a stop request (e.g. SIGTERM) cuts short."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as a stop is requested."""
        return self._stop.wait(max(0.0, seconds))

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()
