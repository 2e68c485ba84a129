"""The live results: records from the feed decoded, applied to the rows held, and pushed to the pages.

Everything here runs on the server's event loop; the feed's thread hands its records over with
``call_soon_threadsafe`` and waits until they are taken, so a topic read from its beginning
never piles up in memory faster than the loop takes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable

from dashboard.events import change_event, snapshot_event
from dashboard.fanout import Broadcaster, Subscription
from dashboard.feed import Deliver, Record
from dashboard.records import BadRecord, decode_record
from dashboard.state import CurrentResults

log = logging.getLogger(__name__)


class LiveResults:
    """The rows held and the pages following them; counts what it skipped."""

    def __init__(self, state: CurrentResults, broadcaster: Broadcaster) -> None:
        self.state = state
        self.broadcaster = broadcaster
        self.bad_records = 0
        self.slow_pages_dropped = 0

    def take(self, records: Iterable[Record]) -> None:
        """Apply each record, pushing each change to the pages; a bad record is logged and skipped."""
        for key, value in records:
            try:
                change = decode_record(key, value)
            except BadRecord as error:
                self.bad_records += 1
                log.warning("skipped a record of the results topic (key %r): %s", (key or b"")[:100], error)
                continue
            if self.state.apply(change):
                self.slow_pages_dropped += self.broadcaster.publish(change_event(change))

    def subscribe(self) -> Subscription:
        """A new page, starting from every row held (TooManyClients when all places are taken)."""
        return self.broadcaster.subscribe(snapshot_event(self.state.rows(), self.state.hours_kept))

    def deliver_from(self, loop: asyncio.AbstractEventLoop) -> Deliver:
        """What the feed calls from its thread: returns once ``loop`` has taken the records."""

        def deliver(records: list[Record]) -> None:
            taken = threading.Event()

            def take_then_tell() -> None:
                try:
                    self.take(records)
                finally:
                    taken.set()

            try:
                loop.call_soon_threadsafe(take_then_tell)
            except RuntimeError:  # the loop is closed: the server is gone
                return
            while not taken.wait(0.5) and not loop.is_closed():
                pass

        return deliver
