"""The Kafka record of ``sensor.readings.rejected`` (docs/contract.md §2.3), bounded by construction.

The rejected topic must take whatever we failed to read, and one record a producer or broker
refuses stops the writer that holds it (the job restarts on it forever). So a record never
exceeds ``MAX_RECORD_BYTES``, key and value together, after JSON escaping, which can make a
control character six bytes (200,000 bytes of ``\\x01`` escape to 1.2 MB). When it would, the
key and the detail keep at most ``MAX_RECORD_BYTES // 16`` bytes each, ``raw`` keeps as much of
its start as fits, and the record says ``"truncated": true`` with ``original_bytes``, the size
the whole record would have had.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from readings.model import Rejection

Stage = Literal["ingest", "job"]

# Key and value bytes of one record of the dead-letter topics (the late topic's records,
# written by jvm/job-functions LateRecord.java, hold to the same figure). Kafka's default
# max.request.size (producers) and max.message.bytes (topics) are 1 MiB, 1,048,576 bytes:
# the 48,576 left cover the record's framing, about 100 bytes.
MAX_RECORD_BYTES = 1_000_000


def utc_text(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and ``Z``, e.g. ``2019-02-19T14:02:10.000Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encoded(value: dict[str, Any]) -> bytes:
    """The record's value as it is written: UTF-8 JSON (unpaired surrogates as ``\\udXXX`` escapes)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")


def escaped_size(text: str) -> int:
    """Bytes ``text`` takes inside a value written by ``encoded``, quotes left out."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "backslashreplace")) - 2


CHUNK_CHARS = 4096


def cut_to_fit(text: str, room: int) -> str:
    """The longest start of ``text`` whose escaped size is at most ``room`` bytes.

    Escaping is character by character, so sizes add up: whole chunks while they fit, then a
    bisection in the chunk that does not. Linear in the part kept, whatever the text's length.
    """
    used = 0
    for start in range(0, len(text), CHUNK_CHARS):
        chunk = text[start : start + CHUNK_CHARS]
        size = escaped_size(chunk)
        if used + size > room:
            low, high = 0, len(chunk) - 1
            while low < high:
                middle = (low + high + 1) // 2
                if used + escaped_size(chunk[:middle]) <= room:
                    low = middle
                else:
                    high = middle - 1
            return text[: start + low]
        used += size
    return text


def cut_key(key: bytes, room: int) -> bytes:
    """The start of ``key`` in at most ``room`` bytes, never half a UTF-8 character."""
    return key[:room].decode("utf-8", "ignore").encode("utf-8")


def rejection_record(
    rejection: Rejection, stage: Stage, now: datetime, max_record_bytes: int = MAX_RECORD_BYTES
) -> tuple[bytes | None, bytes]:
    """``(key, value)``: the reading's id when known, and the JSON value with the original text."""
    key = None if rejection.reading_id is None else rejection.reading_id.encode("utf-8", "backslashreplace")
    value: dict[str, Any] = {
        "reason": str(rejection.reason),
        "detail": rejection.detail,
        "stage": stage,
        "raw": rejection.raw,
        "rejected_at": utc_text(now),
    }
    whole = encoded(value)
    key_size = 0 if key is None else len(key)
    if key_size + len(whole) <= max_record_bytes:
        return key, whole

    part = max_record_bytes // 16
    key = None if key is None else cut_key(key, part)
    value |= {"detail": cut_to_fit(rejection.detail, part), "raw": "", "truncated": True,
              "original_bytes": key_size + len(whole)}
    room = max_record_bytes - (0 if key is None else len(key)) - len(encoded(value))
    value["raw"] = cut_to_fit(rejection.raw, room)
    return key, encoded(value)
