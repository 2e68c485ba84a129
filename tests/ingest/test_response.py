"""Splitting an API response into one exact text per reading, or rejecting it whole."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from ingest.api_client import ApiResponse
from ingest.response import split_array, split_response, stamp_fetch_time
from readings import Reason, Rejection


def response(body: bytes, **flags: object) -> ApiResponse:
    return ApiResponse(body, 0.01, **flags)  # type: ignore[arg-type]


def test_elements_keep_their_exact_text() -> None:
    body = b' [ {"id": "a",  "lat": 1.50} ,\n{"id":"\xc3\xa9"}, 42, NaN, {"a": 1, "a": 2} ] \n'
    assert split_response(response(body)) == ['{"id": "a",  "lat": 1.50}', '{"id":"é"}', "42", "NaN", '{"a": 1, "a": 2}']


def test_an_empty_array_is_no_readings() -> None:
    assert split_array(" [ ] ") == []


@pytest.mark.parametrize(
    ("body", "flags", "reason"),
    [
        (b"", {}, Reason.EMPTY_MESSAGE),
        (b"  \n", {}, Reason.EMPTY_MESSAGE),
        (b'[{"country": "Fran\xe7e"}]', {}, Reason.INVALID_ENCODING),
        (b"<html>502</html>", {}, Reason.MALFORMED_JSON),
        (b'{"readings": []}', {}, Reason.NOT_AN_ARRAY),
        (b'"readings"', {}, Reason.NOT_AN_ARRAY),
        (b'[{"id": "a"}, {"id": "b"', {}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"}, ', {}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"}', {}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"}', {"truncated": True, "expected_bytes": 100}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"} {"id": "b"}]', {}, Reason.MALFORMED_JSON),
        (b'[{"id": "a"}, }]', {}, Reason.MALFORMED_JSON),
        (b'[{"id": "a"}] [', {}, Reason.MALFORMED_JSON),
        (b"[]]", {}, Reason.MALFORMED_JSON),
        (b"[" + b"[" * 100000, {}, Reason.MALFORMED_JSON),
        (b"[1, 2]", {"oversized": True}, Reason.RESPONSE_TOO_LARGE),
    ],
)
def test_a_broken_response_is_rejected_whole(body: bytes, flags: dict, reason: Reason) -> None:
    outcome = split_response(response(body, **flags))
    assert isinstance(outcome, Rejection) and outcome.reason is reason
    assert outcome.reading_id is None and outcome.detail


def test_details_of_whole_rejections() -> None:
    truncated = split_response(response(b"[1, 2", truncated=True, expected_bytes=10))
    assert truncated.detail == "the connection closed after 5 of 10 bytes"  # type: ignore[union-attr]
    assert split_response(response(b"[\xff]")).detail.startswith("the response is not UTF-8")  # type: ignore[union-attr]


NOW = datetime(2019, 2, 19, 14, 5, tzinfo=timezone.utc)


def test_stamping_keeps_the_source_time() -> None:
    stamped = json.loads(stamp_fetch_time('{"id": "a", "timestamp": "2000-01-01 00:00:00", "t": "é"}', NOW))
    assert stamped == {"id": "a", "timestamp": "2019-02-19T14:05:00.000Z", "source_timestamp": "2000-01-01 00:00:00", "t": "é"}
    assert json.loads(stamp_fetch_time('{"id": "a"}', NOW)) == {"id": "a", "timestamp": "2019-02-19T14:05:00.000Z"}


@pytest.mark.parametrize("element", ["42", "[1]", "{", '{"a": 1, "a": 2}'])
def test_stamping_leaves_what_is_not_a_plain_object(element: str) -> None:
    assert stamp_fetch_time(element, NOW) == element


def test_an_integer_too_long_to_convert_is_still_split_for_validation_to_reject() -> None:
    giant = '{"temperature": ' + "9" * 5000 + "}"
    assert split_array(f"[{giant}, 1e400]") == [giant, "1e400"]
