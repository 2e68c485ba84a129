"""The fan-out's bounds: so many pages, so many waiting events per page; a slow page is dropped."""

from __future__ import annotations

import asyncio

import pytest

from dashboard.fanout import CLOSED, Broadcaster, Subscription, TooManyClients


async def drain(subscription: Subscription) -> list[str | None]:
    """The events waiting, or up to CLOSED."""
    events = []
    while True:
        event = await asyncio.wait_for(subscription.next_event(), 1)
        events.append(event)
        if event is CLOSED or not subscription.waiting:
            return events


def test_a_page_gets_its_first_event_then_each_published_one() -> None:
    async def scenario() -> list[str | None]:
        broadcaster = Broadcaster(max_clients=2, queue_events=10)
        subscription = broadcaster.subscribe("snapshot")
        broadcaster.publish("a")
        broadcaster.publish("b")
        return await drain(subscription)

    assert asyncio.run(scenario()) == ["snapshot", "a", "b"]


def test_beyond_the_maximum_a_page_is_refused_until_one_leaves() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_clients=2, queue_events=10)
        first = broadcaster.subscribe("s")
        broadcaster.subscribe("s")
        with pytest.raises(TooManyClients):
            broadcaster.subscribe("s")
        broadcaster.unsubscribe(first)
        broadcaster.subscribe("s")
        assert len(broadcaster) == 2

    asyncio.run(scenario())


def test_a_page_that_falls_behind_is_dropped_and_closed_the_others_go_on() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_clients=5, queue_events=3)
        slow = broadcaster.subscribe("snapshot")
        quick = broadcaster.subscribe("snapshot")
        assert broadcaster.publish("a") == 0
        assert await drain(quick) == ["snapshot", "a"]
        assert broadcaster.publish("b") == 0
        assert broadcaster.publish("c") == 1  # slow holds snapshot, a, b: full
        assert slow.dropped and slow.waiting == 1  # what waited is let go at once, CLOSED stays
        assert await drain(slow) == [CLOSED]
        assert await drain(quick) == ["b", "c"]
        assert broadcaster.publish("d") == 0 and not slow.waiting  # no longer sent anything

    asyncio.run(scenario())


def test_a_dropped_page_holds_its_place_until_its_response_ends() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_clients=1, queue_events=1)
        stalled = broadcaster.subscribe("snapshot")
        broadcaster.publish("a")
        assert stalled.dropped
        with pytest.raises(TooManyClients):
            broadcaster.subscribe("snapshot")
        broadcaster.unsubscribe(stalled)
        broadcaster.subscribe("snapshot")

    asyncio.run(scenario())


def test_what_waits_for_a_page_never_exceeds_its_queue() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_clients=1, queue_events=50)
        subscription = broadcaster.subscribe("snapshot")
        for number in range(10_000):
            broadcaster.publish(str(number))
            assert subscription.waiting <= 50

    asyncio.run(scenario())


def test_closing_all_ends_every_stream() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_clients=3, queue_events=3)
        pages = [broadcaster.subscribe("s") for _ in range(3)]
        broadcaster.close_all()
        for page in pages:
            assert await drain(page) == [CLOSED]
            broadcaster.unsubscribe(page)
        assert len(broadcaster) == 0

    asyncio.run(scenario())
