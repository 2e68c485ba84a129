"""Events to the live pages, with bounds: so many pages at most, so many waiting events per page.

Every method runs on the server's event loop. A page that does not keep up is not waited
for (that would hold every other page back) nor buffered without end: its queue is closed,
its response ends, and the browser reconnects and starts again from a fresh snapshot.
"""

from __future__ import annotations

import asyncio

CLOSED = None  # what a dropped subscription yields last


class TooManyClients(Exception):
    """Every place is taken: the page is refused (503) and its browser tries again later."""


class Subscription:
    """One page's queue of events, the snapshot it started from first."""

    def __init__(self, queue_events: int) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_events)
        self.dropped = False

    def offer(self, event: str) -> bool:
        """Queue ``event``; False, and the subscription closed, when the queue is full."""
        try:
            self._queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            self.close()
            return False

    def close(self) -> None:
        """Drop what waits and end the page's stream after it."""
        self.dropped = True
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(CLOSED)

    @property
    def waiting(self) -> int:
        """Events queued and not yet sent."""
        return self._queue.qsize()

    async def next_event(self) -> str | None:
        """The next event, waiting for it; CLOSED once the subscription was dropped."""
        return await self._queue.get()


class Broadcaster:
    """The live pages; ``publish`` hands one event to each of them, never waiting.

    A page holds its place from ``subscribe`` to ``unsubscribe`` (its response's end), even after
    it was dropped for being slow: a connection that stalls keeps its socket buffers until it
    goes, so it counts against ``max_clients`` until then.
    """

    def __init__(self, max_clients: int, queue_events: int) -> None:
        self.max_clients = max_clients
        self.queue_events = queue_events
        self._open: set[Subscription] = set()  # every page whose response is still going
        self._following: set[Subscription] = set()  # those still sent each event

    def subscribe(self, first_event: str) -> Subscription:
        """A new page's subscription starting with ``first_event``, or TooManyClients."""
        if len(self._open) >= self.max_clients:
            raise TooManyClients(f"{self.max_clients} live pages already")
        subscription = Subscription(self.queue_events)
        subscription.offer(first_event)
        self._open.add(subscription)
        self._following.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """The page's response ended: its place is free."""
        self._open.discard(subscription)
        self._following.discard(subscription)

    def publish(self, event: str) -> int:
        """Offer ``event`` to every page; the pages too slow for it are dropped. Returns how many."""
        slow = [subscription for subscription in self._following if not subscription.offer(event)]
        self._following.difference_update(slow)
        return len(slow)

    def close_all(self) -> None:
        """End every page's stream (the server is stopping)."""
        for subscription in self._following:
            subscription.close()
        self._following.clear()

    def __len__(self) -> int:
        """The pages open, dropped ones whose response has not ended yet included."""
        return len(self._open)
