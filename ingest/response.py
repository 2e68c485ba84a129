"""From one API response to one message per reading (the SplitJson of the original flow).

Each element keeps its exact text, so ``sensor.readings`` carries the reading as received.
A response that is not a complete JSON array is refused whole, once, with its reason.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from ingest.api_client import ApiResponse
from readings import Reason, Rejection
from readings.parser import decode_json, decode_text
from readings.rejected import utc_text

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# The splitter needs only where each element ends. Numbers stay text: converting them costs
# time, and an integer of more than 4300 digits would raise a ValueError that is no
# JSONDecodeError; that element is for validation to reject, not a reason to lose the others.
_ELEMENT_DECODER = json.JSONDecoder(parse_int=str, parse_float=str)


def _skip_whitespace(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr] - always matches


def split_response(response: ApiResponse) -> list[str] | Rejection:
    """The text of each element of the response's array, or why the response is unusable."""
    received = len(response.body)
    if response.oversized:
        return Rejection(
            Reason.RESPONSE_TOO_LARGE, f"the response exceeds the limit; the first {received} bytes are kept",
            response.body.decode("utf-8", "backslashreplace"),
        )
    text = decode_text(response.body)
    if isinstance(text, Rejection):
        return text._replace(detail=f"the response is {text.detail}")
    if response.truncated:
        return Rejection(
            Reason.TRUNCATED_RESPONSE, f"the connection closed after {received} of {response.expected_bytes} bytes", text
        )
    if not text.strip():
        return Rejection(Reason.EMPTY_MESSAGE, "the response is empty", text)
    return split_array(text)


def split_array(text: str) -> list[str] | Rejection:
    """Walk the top-level array element by element, so each keeps its exact text."""
    position = _skip_whitespace(text, 0)
    if not text.startswith("[", position):
        return _not_an_array(text)
    elements: list[str] = []
    position = _skip_whitespace(text, position + 1)
    if text.startswith("]", position):
        return _nothing_after(text, position + 1, elements)
    while True:
        try:
            _, end = _ELEMENT_DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            return _broken(text, error.pos, error.msg)
        except RecursionError:
            return Rejection(Reason.MALFORMED_JSON, "the response nests too deeply to be readings", text)
        elements.append(text[position:end])
        position = _skip_whitespace(text, end)
        separator = text[position : position + 1]
        if separator == "]":
            return _nothing_after(text, position + 1, elements)
        if separator != ",":
            return _broken(text, position, "Expecting ',' or ']' after an element")
        position = _skip_whitespace(text, position + 1)


def _not_an_array(text: str) -> Rejection:
    try:
        decode_json(text)
    except (ValueError, RecursionError) as error:
        return Rejection(Reason.MALFORMED_JSON, f"the response is not JSON: {error}", text)
    return Rejection(Reason.NOT_AN_ARRAY, "the response is JSON but not an array of readings", text)


def _nothing_after(text: str, position: int, elements: list[str]) -> list[str] | Rejection:
    if _skip_whitespace(text, position) != len(text):
        return Rejection(Reason.MALFORMED_JSON, f"extra data after the array at character {position}", text)
    return elements


def _broken(text: str, position: int, message: str) -> Rejection:
    if position >= len(text.rstrip()):
        return Rejection(Reason.TRUNCATED_RESPONSE, "the body ends inside the JSON array", text)
    return Rejection(Reason.MALFORMED_JSON, f"the response is not a JSON array: {message} at character {position}", text)


def stamp_fetch_time(element: str, fetched_at: datetime) -> str:
    """The element with ``timestamp`` set to the fetch time, the source's value kept as ``source_timestamp``.

    For sources whose timestamp is not when the reading was taken. Elements that are not plain
    objects are returned untouched, for validation to reject them with the right reason.
    """
    try:
        obj = decode_json(element)
    except (ValueError, RecursionError):
        return element
    if type(obj) is not dict:
        return element
    if "timestamp" in obj:
        obj["source_timestamp"] = obj["timestamp"]
    obj["timestamp"] = utc_text(fetched_at)
    return json.dumps(obj, ensure_ascii=False)
