"""The reason codes of a rejection: the vocabulary of ``sensor.readings.rejected`` (docs/contract.md §1.3),
and how a detail quotes the input it is about."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # One message or one element of a response.
    EMPTY_MESSAGE = "empty_message"
    INVALID_ENCODING = "invalid_encoding"
    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    DUPLICATE_KEY = "duplicate_key"
    MISSING_FIELD = "missing_field"
    INVALID_TYPE = "invalid_type"
    INVALID_ID = "invalid_id"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    INVALID_COORDINATES = "invalid_coordinates"
    TEMPERATURE_OUT_OF_RANGE = "temperature_out_of_range"
    OUTSIDE_FRANCE = "outside_france"
    # A message too large to publish (ingestion: over 64 KiB, or refused by Kafka as too large).
    MESSAGE_TOO_LARGE = "message_too_large"
    # A whole sensor API response (empty, undecodable and malformed ones reuse the codes above).
    NOT_AN_ARRAY = "not_an_array"
    TRUNCATED_RESPONSE = "truncated_response"
    RESPONSE_TOO_LARGE = "response_too_large"


EXCERPT_CHARS = 64


def quoted(text: str) -> str:
    """``repr(text)``; past ``EXCERPT_CHARS`` characters, the repr of its start and its length.

    Details quote what a message holds, which can be megabytes: they stay one short line.
    """
    if len(text) <= EXCERPT_CHARS:
        return repr(text)
    return f"{text[:EXCERPT_CHARS]!r}... ({len(text):,} characters)"
