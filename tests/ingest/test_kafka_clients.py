"""How each client library's delivery errors are sorted into 'send again' and 'refused'."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError
from kafka import errors

from ingest.kafka_clients import MAX_RECORD_BYTES, MAX_REQUEST_BYTES, ConfluentKafkaClient, KafkaPythonClient, make_client
from ingest.producer import ClientBusy, DeliveryReport, Failure, Record, RecordTooLarge, record_bytes
from settings import KafkaSettings

UNREACHABLE = KafkaSettings(bootstrap_servers="127.0.0.1:9", sasl_username="user", sasl_password="pw", sasl_mechanism="PLAIN")


def collect() -> tuple[list, DeliveryReport]:
    reports: list = []
    return reports, lambda token, error, retriable: reports.append((token, error, retriable))


def test_kafka_python_outcomes() -> None:
    reports, report = collect()
    KafkaPythonClient._report(1, report, object())
    KafkaPythonClient._report(2, report, errors.KafkaTimeoutError("expired"))
    KafkaPythonClient._report(3, report, errors.MessageSizeTooLargeError("big"))
    KafkaPythonClient._report(4, report, errors.TopicAuthorizationFailedError("no"))
    KafkaPythonClient._report(5, report, errors.RecordListTooLargeError("big"))
    assert [(token, failure) for token, _, failure in reports] == [
        (1, None), (2, Failure.TRANSIENT), (3, Failure.TOO_LARGE), (4, Failure.REFUSED), (5, Failure.TOO_LARGE),
    ]
    assert reports[0][1] is None and reports[1][1].startswith("KafkaTimeoutError")


def test_confluent_outcomes() -> None:
    client = ConfluentKafkaClient(UNREACHABLE, "test")
    reports, report = collect()
    client._report(1, report, None, None)
    client._report(2, report, KafkaError(KafkaError._MSG_TIMED_OUT), None)
    client._report(3, report, KafkaError(KafkaError.MSG_SIZE_TOO_LARGE), None)
    client._report(4, report, KafkaError(KafkaError._FATAL, fatal=True), None)
    client._report(5, report, KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED), None)
    assert [(token, failure) for token, _, failure in reports] == [
        (1, None), (2, Failure.TRANSIENT), (3, Failure.TOO_LARGE), (4, Failure.REFUSED), (5, Failure.REFUSED),
    ]
    client.poll(0)
    client.flush(0)
    client.close(0)


def test_confluent_full_queue_is_busy() -> None:
    client = ConfluentKafkaClient(KafkaSettings(bootstrap_servers="127.0.0.1:9"), "test")
    client._producer = type("Full", (), {"produce": lambda *args, **kwargs: (_ for _ in ()).throw(BufferError("full"))})()
    with pytest.raises(ClientBusy):
        client.send(Record("t", None, b""), 1, lambda *args: None)


def test_the_size_limit_leaves_room_for_the_record_overhead() -> None:
    """A record the producer lets through is within what both libraries accept (max.request.size)."""
    largest = Record("t", b"k" * 128, b"v" * (MAX_RECORD_BYTES - 128 - 1024))
    assert record_bytes(largest) == MAX_RECORD_BYTES < MAX_REQUEST_BYTES
    assert KafkaPythonClient.max_record_bytes == ConfluentKafkaClient.max_record_bytes == MAX_RECORD_BYTES


def test_confluent_refuses_a_too_large_record_at_once() -> None:
    client = ConfluentKafkaClient(KafkaSettings(bootstrap_servers="127.0.0.1:9"), "test")
    with pytest.raises(RecordTooLarge):
        client.send(Record("t", None, b"x" * (MAX_REQUEST_BYTES + 1)), 1, lambda *args: None)
    client.close(0)


@pytest.mark.services
def test_kafka_python_too_large_and_timeouts(stack) -> None:
    client = KafkaPythonClient(stack.kafka, "test")
    try:
        with pytest.raises(RecordTooLarge):
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
