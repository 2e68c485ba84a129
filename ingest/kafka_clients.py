"""The two Kafka client libraries behind ``ingest.producer.DeliveryClient``.

kafka-python is the project's client; confluent-kafka (librdkafka, the ``bench`` extra) is
the faster one the load generator can use for the 100k readings/s target (docs/ingestion.md).
Both get the same no-loss settings.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from ingest.producer import RECORD_OVERHEAD_BYTES, ClientBusy, DeliveryReport, Failure, Record, RecordTooLarge
from settings import KafkaSettings

# acks=all with idempotence: a record counts as delivered only once every in-sync replica has
# it, and the broker drops the duplicates that the client's own retries would create.
ACKS = "all"
COMPRESSION = "zstd"
LINGER_MS = 20
BATCH_BYTES = 256 * 1024
DELIVERY_TIMEOUT_MS = 30_000
REQUEST_TIMEOUT_MS = 10_000
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # above the 1,000,000 bytes any record of ours takes (readings.rejected)
MAX_RECORD_BYTES = MAX_REQUEST_BYTES - RECORD_OVERHEAD_BYTES
CLIENTS = ("kafka-python", "confluent-kafka")


class KafkaPythonClient:
    max_record_bytes = MAX_RECORD_BYTES

    def __init__(self, kafka: KafkaSettings, client_id: str) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(
            client_id=client_id,
            acks=ACKS,
            enable_idempotence=True,
            compression_type=COMPRESSION,
            linger_ms=LINGER_MS,
            batch_size=BATCH_BYTES,
            delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            max_request_size=MAX_REQUEST_BYTES,
            max_block_ms=5_000,  # send() waits this long for metadata before we hear about it
            **kafka.client_options(),
        )

    def send(self, record: Record, token: int, report: DeliveryReport) -> None:
        from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

        try:
            future = self._producer.send(record.topic, value=record.value, key=record.key)
        except KafkaTimeoutError as error:
            raise ClientBusy(str(error)) from None
        except MessageSizeTooLargeError as error:
            raise RecordTooLarge(str(error)) from None
        future.add_both(self._report, token, report)

    @staticmethod
    def _report(token: int, report: DeliveryReport, outcome: Any) -> None:
        if not isinstance(outcome, Exception):
            report(token, None, None)
            return
        report(token, f"{type(outcome).__name__}: {outcome}", _kafka_python_failure(outcome))

    def poll(self, timeout: float) -> None:
        # Reports arrive on kafka-python's own sender thread; there is nothing to serve here.
        if timeout > 0:
            time.sleep(timeout)

    def flush(self, timeout: float) -> None:
        from kafka.errors import KafkaTimeoutError

        try:
            self._producer.flush(timeout=timeout)
        except KafkaTimeoutError:
            pass  # the caller looks at what is still unacknowledged

    def close(self, timeout: float) -> None:
        self._producer.close(timeout=timeout)


def _kafka_python_failure(error: Exception) -> Failure:
    from kafka import errors

    if isinstance(error, (errors.MessageSizeTooLargeError, errors.RecordListTooLargeError)):
        return Failure.TOO_LARGE
    refusals = (
        errors.AuthorizationError,
        errors.InvalidTopicError,
        errors.UnsupportedForMessageFormatError,
        errors.UnsupportedCompressionTypeError,
        errors.InvalidRecordError,
    )
    return Failure.REFUSED if isinstance(error, refusals) else Failure.TRANSIENT


class ConfluentKafkaClient:
    max_record_bytes = MAX_RECORD_BYTES

    def __init__(self, kafka: KafkaSettings, client_id: str) -> None:
        from confluent_kafka import KafkaError, Producer

        config: dict[str, Any] = {
            "bootstrap.servers": kafka.bootstrap_servers,
            "client.id": client_id,
            "acks": ACKS,
            "enable.idempotence": True,
            "compression.type": COMPRESSION,
            "linger.ms": LINGER_MS,
            "batch.size": 1_000_000,  # librdkafka batches per partition in one MessageSet
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            "request.timeout.ms": REQUEST_TIMEOUT_MS,
            "message.max.bytes": MAX_REQUEST_BYTES,
        }
        if kafka.sasl_username:
            config.update(
                {
                    "security.protocol": "SASL_PLAINTEXT",
                    "sasl.mechanism": kafka.sasl_mechanism,
                    "sasl.username": kafka.sasl_username,
                    "sasl.password": kafka.sasl_password or "",
                }
            )
        self._producer = Producer(config)
        self._too_large = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE}
        self._refusals = {
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            KafkaError.TOPIC_EXCEPTION,
            KafkaError.INVALID_RECORD,
            KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT,
            KafkaError.UNSUPPORTED_COMPRESSION_TYPE,
        }

    def send(self, record: Record, token: int, report: DeliveryReport) -> None:
        from confluent_kafka import KafkaException

        try:
            self._producer.produce(record.topic, record.value, record.key, on_delivery=partial(self._report, token, report))
        except BufferError as error:
            raise ClientBusy(str(error)) from None
        except KafkaException as error:
            if error.args and error.args[0].code() in self._too_large:
                raise RecordTooLarge(str(error)) from None
            raise

    def _report(self, token: int, report: DeliveryReport, error: Any, _message: Any) -> None:
        if error is None:
            report(token, None, None)
            return
        if error.code() in self._too_large:
            failure = Failure.TOO_LARGE
        elif error.fatal() or error.code() in self._refusals:
            failure = Failure.REFUSED
        else:
            failure = Failure.TRANSIENT
        report(token, str(error), failure)

    def poll(self, timeout: float) -> None:
        self._producer.poll(timeout)

    def flush(self, timeout: float) -> None:
        self._producer.flush(timeout)

    def close(self, timeout: float) -> None:
        self._producer.flush(timeout)


def make_client(name: str, kafka: KafkaSettings, client_id: str) -> KafkaPythonClient | ConfluentKafkaClient:
    """A client of the library ``name`` (one of ``CLIENTS``)."""
    if name == "kafka-python":
        return KafkaPythonClient(kafka, client_id)
    if name == "confluent-kafka":
        return ConfluentKafkaClient(kafka, client_id)
    raise ValueError(f"unknown Kafka client {name!r}; choose one of {', '.join(CLIENTS)}")
