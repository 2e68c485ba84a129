"""How each client library's delivery errors are sorted into 'send again' and 'refused'."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError
from kafka import errors

from ingest.kafka_clients import ConfluentKafkaClient, KafkaPythonClient, make_client
from ingest.producer import ClientBusy, DeliveryRefused, Record
from settings import KafkaSettings

UNREACHABLE = KafkaSettings(bootstrap_servers="127.0.0.1:9", sasl_username="user", sasl_password="pw", sasl_mechanism="PLAIN")


def collect() -> tuple[list, object]:
    reports: list = []
    return reports, lambda token, error, retriable: reports.append((token, error, retriable))


def test_kafka_python_outcomes() -> None:
    reports, report = collect()
    KafkaPythonClient._report(1, report, object())
    KafkaPythonClient._report(2, report, errors.KafkaTimeoutError("expired"))
    KafkaPythonClient._report(3, report, errors.MessageSizeTooLargeError("big"))
    KafkaPythonClient._report(4, report, errors.TopicAuthorizationFailedError("no"))
    assert [(token, retriable) for token, _, retriable in reports] == [(1, True), (2, True), (3, False), (4, False)]
    assert reports[0][1] is None and reports[1][1].startswith("KafkaTimeoutError")


def test_confluent_outcomes() -> None:
    client = ConfluentKafkaClient(UNREACHABLE, "test")
    reports, report = collect()
    client._report(1, report, None, None)
    client._report(2, report, KafkaError(KafkaError._MSG_TIMED_OUT), None)
    client._report(3, report, KafkaError(KafkaError.MSG_SIZE_TOO_LARGE), None)
    client._report(4, report, KafkaError(KafkaError._FATAL, fatal=True), None)
    assert [(token, retriable) for token, _, retriable in reports] == [(1, True), (2, True), (3, False), (4, False)]
    client.poll(0)
    client.flush(0)
    client.close(0)


def test_confluent_full_queue_is_busy() -> None:
    client = ConfluentKafkaClient(KafkaSettings(bootstrap_servers="127.0.0.1:9"), "test")
    client._producer = type("Full", (), {"produce": lambda *args, **kwargs: (_ for _ in ()).throw(BufferError("full"))})()
    with pytest.raises(ClientBusy):
        client.send(Record("t", None, b""), 1, lambda *args: None)


@pytest.mark.services
def test_kafka_python_too_large_and_timeouts(stack) -> None:  # type: ignore[no-untyped-def]
    client = KafkaPythonClient(stack.kafka, "test")
    try:
        with pytest.raises(DeliveryRefused):
            client.send(Record(stack.kafka.readings_topic, None, b"x" * (5 * 1024 * 1024)), 1, lambda *args: None)
        client._producer.config["max_block_ms"] = 200
        with pytest.raises(ClientBusy):
            client.send(Record("no-such-topic-for-tests", None, b"x"), 2, lambda *args: None)
        client.poll(0.01)
        client._producer.flush = lambda timeout=None: (_ for _ in ()).throw(errors.KafkaTimeoutError("slow"))
        client.flush(0.01)
    finally:
        del client._producer.flush
        client.close(1)


def test_unknown_client() -> None:
    with pytest.raises(ValueError, match="unknown Kafka client"):
        make_client("other", KafkaSettings(), "test")
    assert isinstance(make_client("confluent-kafka", KafkaSettings(), "test"), ConfluentKafkaClient)
