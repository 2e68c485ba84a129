"""From one API response to one message per reading (the SplitJson of the original flow).

Each element keeps its exact bytes, so ``sensor.readings`` carries the reading as received.
The array is delimited on the bytes, without building Python objects or a text copy of the
body, so a poll's memory follows the 64 MiB body cap, not the number or the shape of the
elements: a bracket skips what lies inside it (strings whole) in one regular-expression
step, and the walk stops at ``MAX_ELEMENTS`` elements or ``MAX_BRACKETS`` brackets, the rest
of the body being rejected as one ``response_too_large`` record.

What the walk delimits but is not JSON (``{"a": 1,}``) is an element like any other, for
validation to reject on its own; only a body whose top level cannot be walked (not an array,
a missing comma, cut short, nested deeper than ``MAX_DEPTH``, not UTF-8) is refused whole.
"""

from __future__ import annotations

import codecs
import json
import re
from array import array
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from ingest.api_client import ApiResponse
from readings import Reason, Rejection
from readings.parser import decode_json
from readings.rejected import utc_text

# A normal response holds 1,000 readings of about 165 bytes, two brackets each.
MAX_ELEMENTS = 100_000
MAX_BRACKETS = 1_000_000
MAX_DEPTH = 512
# No reading is near this; a bigger element is rejected (message_too_large) without parsing.
MAX_READING_BYTES = 64 * 1024
# The raw text of a rejection made here holds at most the first bytes of the input (the
# detail gives its size): the text of a 64 MiB body is never built.
HEAD_BYTES = 512 * 1024
_UTF8_SLICE_BYTES = 1024 * 1024

_WHITESPACE = re.compile(rb"[ \t\n\r]*+")
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_SCALAR = re.compile(rb'[^ \t\n\r,\[\]{}"]++')
# Everything up to the next bracket or unterminated string; complete strings (which may hold
# brackets) are skipped whole. Possessive: the engine keeps no state to backtrack into.
_INSIDE = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+', re.DOTALL)
_CLOSER = {ord("["): ord("]"), ord("{"): ord("}")}
_CLOSERS = frozenset(_CLOSER.values())
_VALUE_STARTS = frozenset(b'{"-0123456789tfn')


class SplitResponse(NamedTuple):
    """Where each element lies in the body, and the rejection of what was left unread."""

    body: bytes
    starts: array
    ends: array
    excess: Rejection | None = None

    def elements(self) -> Iterator[bytes]:
        body = self.body
        return (body[start:end] for start, end in zip(self.starts, self.ends, strict=True))

    def __len__(self) -> int:
        return len(self.starts)


class _Unwalkable(Exception):
    """The top level of the body cannot be walked: the whole response is rejected with this reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class _OverBudget(Exception):
    """The element being walked passes MAX_BRACKETS: it and the rest are rejected as one."""


def head_text(data: bytes, limit: int) -> str:
    """The first ``limit`` bytes of ``data`` as text, cut between characters, bad bytes as ``\\xNN``."""
    end = min(limit, len(data))
    while 0 < end < len(data) and data[end] & 0xC0 == 0x80:  # never cut inside a UTF-8 sequence
        end -= 1
    return data[:end].decode("utf-8", "backslashreplace")


def _whole(reason: Reason, detail: str, body: bytes) -> Rejection:
    if len(body) > HEAD_BYTES:
        detail = f"{detail} (the body is {len(body)} bytes; raw holds its first {HEAD_BYTES})"
    return Rejection(reason, detail, head_text(body, HEAD_BYTES))


def split_response(response: ApiResponse) -> SplitResponse | Rejection:
    """Where each element of the response's array lies, or why the response is unusable as a whole."""
    body = response.body
    received = len(body)
    if response.oversized:
        return _whole(Reason.RESPONSE_TOO_LARGE, f"the response exceeds the limit; {received} bytes were read", body)
    if response.truncated:  # before the encoding: a body cut short may end inside a character
        return _whole(
            Reason.TRUNCATED_RESPONSE, f"the connection closed after {received} of {response.expected_bytes} bytes", body
        )
    problem = _utf8_problem(body)
    if problem:
        return _whole(Reason.INVALID_ENCODING, f"the response is {problem}", body)
    if _skip_whitespace(body, 0) == len(body):
        return _whole(Reason.EMPTY_MESSAGE, "the response is empty", body)
    try:
        return _walk(body)
    except _Unwalkable as unwalkable:
        return _whole(unwalkable.reason, unwalkable.detail, body)


def split_array(text: str) -> list[str] | Rejection:
    """The text of each element of a JSON array given as text (the same walk as ``split_response``)."""
    split = split_response(ApiResponse(text.encode("utf-8"), 0.0))
    if isinstance(split, Rejection):
        return split
    return [element.decode("utf-8") for element in split.elements()]


def _utf8_problem(body: bytes) -> str | None:
    """Why ``body`` is not UTF-8, checked slice by slice so no text copy of the body is ever held."""
    view = memoryview(body)
    position = 0
    while position < len(body):
        final = position + _UTF8_SLICE_BYTES >= len(body)
        try:
            _, consumed = codecs.utf_8_decode(view[position : position + _UTF8_SLICE_BYTES], "strict", final)
        except UnicodeDecodeError as error:
            return f"not UTF-8: {error.reason} at byte {position + error.start}"
        position += consumed
    return None


def _skip_whitespace(body: bytes, position: int) -> int:
    return _WHITESPACE.match(body, position).end()  # type: ignore[union-attr]  # always matches: the pattern takes the empty string


def _walk(body: bytes) -> SplitResponse:
    position = _skip_whitespace(body, 0)
    if body[position] != ord("["):
        raise _Unwalkable(*_not_an_array(body[position]))
    starts, ends = array("q"), array("q")
    brackets = 0
    position = _skip_whitespace(body, position + 1)
    if body.startswith(b"]", position):
        return _nothing_after(body, position + 1, starts, ends)
    while True:
        if len(starts) == MAX_ELEMENTS:
            return _with_excess(body, starts, ends, position, f"the response holds more than {MAX_ELEMENTS} elements")
        try:
            end, brackets = _element_end(body, position, brackets)
        except _OverBudget:
            return _with_excess(body, starts, ends, position, f"the response holds more than {MAX_BRACKETS} brackets")
        starts.append(position)
        ends.append(end)
        position = _skip_whitespace(body, end)
        if position == len(body):
            raise _Unwalkable(Reason.TRUNCATED_RESPONSE, "the body ends inside the JSON array")
        separator = body[position]
        if separator == ord("]"):
            return _nothing_after(body, position + 1, starts, ends)
        if separator != ord(","):
            raise _Unwalkable(Reason.MALFORMED_JSON,
                              f"the response is not a JSON array: expecting ',' or ']' after an element at byte {position}")
        position = _skip_whitespace(body, position + 1)


def _element_end(body: bytes, position: int, brackets: int) -> tuple[int, int]:
    """Where the element starting at ``position`` ends, and the brackets walked so far."""
    if position == len(body):
        raise _Unwalkable(Reason.TRUNCATED_RESPONSE, "the body ends inside the JSON array")
    first = body[position]
    if first in _CLOSER:
        return _nested_end(body, position, brackets)
    if first == ord('"'):
        string = _STRING.match(body, position)
        if string is None:
            raise _Unwalkable(Reason.TRUNCATED_RESPONSE, "the body ends inside a string")
        return string.end(), brackets
    scalar = _SCALAR.match(body, position)
    if scalar is None:
        raise _Unwalkable(Reason.MALFORMED_JSON, f"the response is not a JSON array: expecting a value at byte {position}")
    return scalar.end(), brackets


def _nested_end(body: bytes, position: int, brackets: int) -> tuple[int, int]:
    closers = bytearray()
    while True:
        if position == len(body):
            raise _Unwalkable(Reason.TRUNCATED_RESPONSE, "the body ends inside the JSON array")
        byte = body[position]
        if byte == ord('"'):  # _INSIDE skips every complete string: this one never ends
            raise _Unwalkable(Reason.TRUNCATED_RESPONSE, "the body ends inside a string")
        brackets += 1
        if brackets > MAX_BRACKETS:
            raise _OverBudget
        if byte in _CLOSERS:
            if closers.pop() != byte:
                raise _Unwalkable(Reason.MALFORMED_JSON,
                                  f"the response is not JSON: a mismatched {chr(byte)!r} at byte {position}")
            if not closers:
                return position + 1, brackets
        else:
            closers.append(_CLOSER[byte])
            if len(closers) > MAX_DEPTH:
                raise _Unwalkable(Reason.MALFORMED_JSON, f"the response nests more than {MAX_DEPTH} levels deep")
        position = _INSIDE.match(body, position + 1).end()  # type: ignore[union-attr]  # always matches: the pattern takes the empty string


def _not_an_array(first: int) -> tuple[Reason, str]:
    if first in _VALUE_STARTS:
        return Reason.NOT_AN_ARRAY, f"the response is JSON but not an array of readings (it begins with {chr(first)!r})"
    return Reason.MALFORMED_JSON, f"the response is not JSON (it begins with {chr(first)!r})"


def _nothing_after(body: bytes, position: int, starts: array, ends: array) -> SplitResponse:
    if _skip_whitespace(body, position) != len(body):
        raise _Unwalkable(Reason.MALFORMED_JSON, f"extra data after the array at byte {position}")
    return SplitResponse(body, starts, ends)


def _with_excess(body: bytes, starts: array, ends: array, position: int, why: str) -> SplitResponse:
    rest = len(body) - position
    detail = f"{why}: the first {len(starts)} are read, the {rest} bytes from byte {position} on are not"
    if rest > HEAD_BYTES:
        detail += f" (raw holds their first {HEAD_BYTES})"
    head = head_text(body[position : position + HEAD_BYTES + 4], HEAD_BYTES)  # + 4: to see where a character ends
    return SplitResponse(body, starts, ends, Rejection(Reason.RESPONSE_TOO_LARGE, detail, head))


def oversized_element(element: bytes) -> Rejection | None:
    """The rejection of an element too large to be a reading, before any parsing."""
    if len(element) <= MAX_READING_BYTES:
        return None
    return too_large(element, f"the element is {len(element)} bytes, more than the {MAX_READING_BYTES} a reading may have")


def too_large(data: bytes, why: str, reading_id: str | None = None, head_bytes: int = HEAD_BYTES) -> Rejection:
    """A ``message_too_large`` rejection whose raw is the first ``head_bytes`` of ``data``."""
    if len(data) > head_bytes:
        why = f"{why}; raw holds its first {head_bytes}"
    return Rejection(Reason.MESSAGE_TOO_LARGE, why, head_text(data, head_bytes), reading_id)


def stamp_fetch_time(element: bytes, fetched_at: datetime) -> bytes:
    """The element with ``timestamp`` set to the fetch time, the source's value kept as ``source_timestamp``.

    For sources whose timestamp is not when the reading was taken. Elements that are not plain
    objects are returned untouched, for validation to reject them with the right reason.
    """
    try:
        obj = decode_json(element.decode("utf-8"))
    except (ValueError, RecursionError):
        return element
    if type(obj) is not dict:
        return element
    if "timestamp" in obj:
        obj["source_timestamp"] = obj["timestamp"]
    obj["timestamp"] = utc_text(fetched_at)
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "backslashreplace")
