"""The catalogue of bad input (issue 6, item 3): every kind, its bytes, and the verdict each stage owes it.

One list of data for every test that feeds the pipeline bad input, so the ingestion's tests,
the job's tests and the end-to-end test judge the same bytes against the same reason codes:

- ``message`` is one Kafka message of ``sensor.readings``, as the job reads it. When it is a
  JSON value, the ingestion meets it as one element of the API's array and must give it the
  same verdict (stages ``ingest`` and ``job``).
- ``body`` is a whole API response, which only the ingestion sees; a bad one is rejected once,
  whole, and the next poll goes on.

The good readings are taken at ``TAKEN_AT`` (UTC) and judged at ``JUDGED_AT``, three minutes
later. Every reading is in Rennes (Bretagne) unless its kind is about where it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from readings import Reason

ACCEPTED = "accepted"
Stage = Literal["ingest", "job"]
BOTH: tuple[Stage, ...] = ("ingest", "job")

TAKEN_AT = "2019-02-19 14:02:10"
JUDGED_AT = datetime(2019, 2, 19, 14, 5, tzinfo=UTC)
RENNES = (48.1173, -1.6778)
# The body limit the ingestion's API client is given in the tests: the very large response
# is bigger, without making every test run hold the 64 MiB of the real default.
RESPONSE_LIMIT_BYTES = 256 * 1024

_OMITTED: Any = object()


@dataclass(frozen=True)
class BadInput:
    kind: str
    expected: str  # the reason code (a ``Reason`` value) or ``ACCEPTED``
    stages: tuple[Stage, ...]
    message: bytes | None = None
    body: bytes | None = None
    key: bytes | None = None  # the reading's id where the input has a usable one: the rejected record's key
    copies: int = 1  # sent this many times in a row (exact duplicates)

    @property
    def one_message(self) -> bytes:
        """The input as one message (a Kafka record, an element of the API's array)."""
        assert self.message is not None, f"{self.kind} is a whole response body, not one message"
        return self.message

    @property
    def whole_body(self) -> bytes:
        """The input as a whole API response body."""
        assert self.body is not None, f"{self.kind} is one message, not a whole response body"
        return self.body


def reading(reading_id: str, taken_at: str = TAKEN_AT, **changes: Any) -> bytes:
    """A valid reading in the brief's shape with ``changes`` applied (``_OMITTED`` removes a field)."""
    fields = {"id": reading_id, "timestamp": taken_at, "lat": RENNES[0], "lon": RENNES[1], "temperature": 9.5,
              "country": "France", **changes}
    return json.dumps({name: value for name, value in fields.items() if value is not _OMITTED}).encode()


def array(*elements: bytes) -> bytes:
    """An API response body holding ``elements`` as they are."""
    return b"[" + b",\n".join(elements) + b"]"


def _reading_kind(kind: str, expected: str, taken_at: str, keyed: bool = True, **changes: Any) -> BadInput:
    """A reading of its own id with ``changes``: a JSON object, so both stages judge it; keyed by the id if usable."""
    reading_id = f"bad-{kind.replace('_', '-')}"
    message = reading(reading_id, taken_at, **changes)
    return BadInput(kind, expected, BOTH, message, key=reading_id.encode() if keyed else None)


def catalogue(taken_at: str = TAKEN_AT) -> tuple[BadInput, ...]:
    """Every kind once; ``taken_at`` is the time of the readings that are not about their time."""
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    latin1 = reading("bad-invalid-utf8", taken_at).replace(b'"France"', b'"Fran\xe7e"')
    blank = b" \r\n\t "
    deep = b"[" * 100_000 + b"]" * 100_000
    good = reading("bad-truncated-response", taken_at)
    large = array(*(reading(f"bad-very-large-response-{n:05d}", taken_at) for n in range(4000)))
    duplicate_keys = reading("bad-duplicate-keys", taken_at).replace(b'"temperature": 9.5',
                                                                     b'"temperature": 9.5, "temperature": 30.5')
    giant_integer = reading("bad-giant-integer", taken_at).replace(b'"temperature": 9.5', b'"temperature": ' + b"9" * 5000)
    swapped = RENNES[::-1]
    return (
        # Whole messages and whole responses that are not JSON readings.
        BadInput("truncated_message", Reason.MALFORMED_JSON, ("job",), reading("bad-truncated-message", taken_at)[:45]),
        BadInput("truncated_response", Reason.TRUNCATED_RESPONSE, ("ingest",), body=b"[" + good + b",\n" + good[:45]),
        BadInput("not_json", Reason.MALFORMED_JSON, BOTH, html, html),
        BadInput("deep_nesting", Reason.MALFORMED_JSON, BOTH, deep, array(deep)),
        BadInput("giant_integer", Reason.MALFORMED_JSON, BOTH, giant_integer),
        BadInput("invalid_utf8", Reason.INVALID_ENCODING, BOTH, latin1, array(latin1)),
        BadInput("empty", Reason.EMPTY_MESSAGE, BOTH, b"", b""),
        BadInput("blank", Reason.EMPTY_MESSAGE, BOTH, blank, blank),
        BadInput("array_not_object", Reason.NOT_AN_OBJECT, BOTH, array(reading("bad-array", taken_at))),
        BadInput("string_not_object", Reason.NOT_AN_OBJECT, BOTH, b'"a reading"'),
        BadInput("null_not_object", Reason.NOT_AN_OBJECT, BOTH, b"null"),
        BadInput("response_not_an_array", Reason.NOT_AN_ARRAY, ("ingest",),
                 body=b'{"message": "readings moved to /v2", "readings": []}'),
        BadInput("very_large_response", Reason.RESPONSE_TOO_LARGE, ("ingest",), body=large),
        BadInput("very_large_reading", Reason.MESSAGE_TOO_LARGE, ("ingest",),
                 reading("bad-very-large-reading", taken_at, note="x" * 100_000)),
        BadInput("duplicate_keys", Reason.DUPLICATE_KEY, BOTH, duplicate_keys, key=b"bad-duplicate-keys"),
        # Fields missing or of the wrong type: no silent coercion.
        _reading_kind("missing_field", Reason.MISSING_FIELD, taken_at, temperature=_OMITTED),
        BadInput("missing_id", Reason.MISSING_FIELD, BOTH, reading("", taken_at, id=_OMITTED)),
        _reading_kind("string_number", Reason.INVALID_TYPE, taken_at, temperature="21.5"),
        _reading_kind("boolean_number", Reason.INVALID_TYPE, taken_at, lat=True),
        _reading_kind("null_number", Reason.INVALID_TYPE, taken_at, lon=None),
        _reading_kind("number_timestamp", Reason.INVALID_TYPE, taken_at, timestamp=1550584930),
        BadInput("number_id", Reason.INVALID_TYPE, BOTH, reading("", taken_at, id=1234)),
        # Values out of their range.
        _reading_kind("nan_temperature", Reason.TEMPERATURE_OUT_OF_RANGE, taken_at, temperature=float("nan")),
        _reading_kind("infinite_temperature", Reason.TEMPERATURE_OUT_OF_RANGE, taken_at, temperature=float("inf")),
        _reading_kind("nan_latitude", Reason.INVALID_COORDINATES, taken_at, lat=float("nan")),
        _reading_kind("infinite_longitude", Reason.INVALID_COORDINATES, taken_at, lon=float("-inf")),
        _reading_kind("implausibly_hot", Reason.TEMPERATURE_OUT_OF_RANGE, taken_at, temperature=120.0),
        _reading_kind("below_absolute_zero", Reason.TEMPERATURE_OUT_OF_RANGE, taken_at, temperature=-273.15),
        _reading_kind("unparseable_timestamp", Reason.INVALID_TIMESTAMP, taken_at, timestamp="19/02/2019 14h02"),
        _reading_kind("impossible_date", Reason.INVALID_TIMESTAMP, taken_at, timestamp="2019-02-30 10:00:00"),
        _reading_kind("far_future_timestamp", Reason.FUTURE_TIMESTAMP, taken_at, timestamp="9999-12-31 23:59:59"),
        _reading_kind("latitude_out_of_range", Reason.INVALID_COORDINATES, taken_at, lat=95.0),
        _reading_kind("longitude_out_of_range", Reason.INVALID_COORDINATES, taken_at, lon=-200.5),
        # Valid coordinates in no region of France.
        _reading_kind("swapped_lat_lon", Reason.OUTSIDE_FRANCE, taken_at, lat=swapped[0], lon=swapped[1]),
        _reading_kind("point_at_sea", Reason.OUTSIDE_FRANCE, taken_at, lat=46.0, lon=-4.0),
        _reading_kind("abroad", Reason.OUTSIDE_FRANCE, taken_at, lat=40.4168, lon=-3.7038),
        # Ids that cannot key a reading.
        _reading_kind("empty_id", Reason.INVALID_ID, taken_at, keyed=False, id=""),
        _reading_kind("blank_id", Reason.INVALID_ID, taken_at, keyed=False, id="   "),
        _reading_kind("huge_id", Reason.INVALID_ID, taken_at, keyed=False, id="x" * 5000),
        # Odd but valid: accepted, and an exact duplicate counts once (the job's versions see to that).
        _reading_kind("unknown_extra_fields", ACCEPTED, taken_at, battery=0.87, firmware={"version": "2.1", "flags": [1, 2]}),
        BadInput("exact_duplicate", ACCEPTED, BOTH, reading("bad-exact-duplicate", taken_at), key=b"bad-exact-duplicate",
                 copies=2),
    )


def kafka_messages(taken_at: str = TAKEN_AT) -> list[tuple[str, bytes | None, bytes, str]]:
    """``(kind, key, value, expected reason or ACCEPTED)`` per message of every kind the job judges.

    For an end-to-end test to produce straight to ``sensor.readings``; the key is the reading's
    id where it has a usable one, as the ingestion would key it. Exact duplicates come twice.
    """
    return [
        (entry.kind, entry.key, entry.message, entry.expected)
        for entry in catalogue(taken_at)
        if "job" in entry.stages and entry.message is not None
        for _ in range(entry.copies)
    ]
