"""The no-loss producer: failures are counted and resent, refusals stop, nothing is forgotten."""

from __future__ import annotations

import pytest

from ingest.producer import DeliveryRefused, Failure, Record, ReliableProducer
from tests.support.fake_clock import FakeClock
from tests.support.fake_kafka_client import FakeDeliveryClient


def records(count: int) -> list[Record]:
    return [Record("t", f"k{number}".encode(), f"v{number}".encode()) for number in range(count)]


def test_every_record_is_acknowledged_and_failures_are_resent_in_order(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(fail_next=2)
    producer = ReliableProducer(client, fake_clock)
    for record in records(4):
        producer.send(record)
    assert producer.settle(timeout=10)
    assert producer.delivery_failures == 2 and producer.acknowledged == 4 and producer.sent == 4
    assert client.delivered == records(4)[2:] + records(4)[:2]
    assert producer.unacknowledged == 0 and client.sends == 6
    assert fake_clock.waits  # a backoff pause before resending


def test_settle_gives_up_at_its_timeout_while_kafka_is_down(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(down=True)
    producer = ReliableProducer(client, fake_clock)
    producer.send(records(1)[0])
    assert not producer.settle(timeout=0)
    assert producer.unacknowledged == 1
    assert producer.abandon() == records(1)
    assert producer.unacknowledged == 0


def test_a_refusal_raises(fake_clock: FakeClock) -> None:
    producer = ReliableProducer(FakeDeliveryClient(fail_next=1, fail_as=Failure.REFUSED), fake_clock)
    producer.send(records(1)[0])
    with pytest.raises(DeliveryRefused, match="refused a record for good"):
        producer.settle(timeout=5)


def test_a_busy_client_is_waited_for(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(busy_next=2)
    producer = ReliableProducer(client, fake_clock)
    producer.send(records(1)[0])
    assert client.sends == 1 and len(fake_clock.waits) == 2


def test_outstanding_records_are_bounded(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient()
    producer = ReliableProducer(client, fake_clock, max_outstanding=2)
    for record in records(5):
        producer.send(record)
        assert producer.unacknowledged <= 2
    assert producer.settle(1) and client.delivered == records(5)


def test_poll_resends_failures_without_waiting(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(fail_next=1)
    producer = ReliableProducer(client, fake_clock)
    producer.send(records(1)[0])
    producer.poll()  # reports the failure
    producer.poll()  # resends and delivers it
    assert client.delivered == records(1) and not fake_clock.waits
    producer.close()
    assert client.closed


def test_a_record_too_large_for_the_client_is_handed_back_not_sent(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(max_record_bytes=2000)
    producer = ReliableProducer(client, fake_clock)
    large = Record("t", b"k", b"x" * 1000)
    assert not producer.fits(large) and producer.fits(records(1)[0])
    producer.send(large)
    producer.send(records(1)[0])
    assert producer.settle(timeout=1) and client.delivered == records(1) and client.sends == 1
    [(record, why)] = producer.take_too_large()
    assert record == large and why == "2025 bytes, more than the 2000 a record may take"
    assert producer.take_too_large() == []


def test_a_record_kafka_refuses_as_too_large_is_handed_back_and_the_others_go_on(fake_clock: FakeClock) -> None:
    client = FakeDeliveryClient(broker_max_bytes=10)
    producer = ReliableProducer(client, fake_clock)
    large = Record("t", b"k", b"x" * 11)
    for record in [records(1)[0], large, *records(3)[1:]]:
        producer.send(record)
    assert producer.settle(timeout=1) and client.delivered == records(3)
    assert [record for record, _ in producer.take_too_large()] == [large]
    assert producer.unacknowledged == 0 and producer.abandon() == []
