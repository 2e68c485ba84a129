"""Splitting an API response into one exact text per reading, or rejecting it whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import response as response_module
from ingest.api_client import ApiResponse
from ingest.response import (
    HEAD_BYTES,
    MAX_READING_BYTES,
    SplitResponse,
    head_text,
    oversized_element,
    split_array,
    split_response,
    stamp_fetch_time,
)
from readings import Reason, Rejection
from tests.support.verdicts import rejection


def response(body: bytes, expected_bytes: int | None = None, truncated: bool = False, oversized: bool = False) -> ApiResponse:
    return ApiResponse(body, 0.01, expected_bytes, truncated, oversized)


def elements_of(body: bytes) -> list[bytes]:
    split = split_response(response(body))
    assert isinstance(split, SplitResponse), split
    return list(split.elements())


def test_elements_keep_their_exact_bytes() -> None:
    body = b' [ {"id": "a",  "lat": 1.50} ,\n{"id":"\xc3\xa9"}, 42, NaN, {"a": 1, "a": 2}, "s]{", [1, {"b": "}"}] ] \n'
    assert elements_of(body) == [
        b'{"id": "a",  "lat": 1.50}', b'{"id":"\xc3\xa9"}', b"42", b"NaN", b'{"a": 1, "a": 2}', b'"s]{"', b'[1, {"b": "}"}]',
    ]


def test_an_empty_array_is_no_readings() -> None:
    assert split_array(" [ ] ") == []


def test_an_element_that_is_not_json_costs_only_itself() -> None:
    """Issue 13: one broken element no longer makes the whole response malformed_json."""
    good = '{"id": "a", "temperature": 1}'
    broken = ['{"id": "b", "t": 1,}', '{"id": "c" "t": 2}', "nul", '{"s": "\\q"}', '{"a": 1e}']
    assert split_array(f"[{good}, {', '.join(broken)}, {good}]") == [good, *broken, good]


@given(st.lists(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
), max_size=8), st.sampled_from([",", " , ", ",\n\t", "\r\n,  "]))
@settings(max_examples=100, deadline=None)
def test_any_json_array_splits_into_its_elements_exact_text(values: list, separator: str) -> None:
    texts = [json.dumps(value, ensure_ascii=False) for value in values]
    assert split_array(f" [ {separator.join(texts)} ]\n") == texts


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
        (b'[{"id": "a"}, {"id": "b', {}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"}, "b', {}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"}', {"truncated": True, "expected_bytes": 100}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "\xc3', {"truncated": True, "expected_bytes": 100}, Reason.TRUNCATED_RESPONSE),
        (b'[{"id": "a"} {"id": "b"}]', {}, Reason.MALFORMED_JSON),
        (b'[{"id": "a"}, }]', {}, Reason.MALFORMED_JSON),
        (b'[{"id": "a"}] [', {}, Reason.MALFORMED_JSON),
        (b"[]]", {}, Reason.MALFORMED_JSON),
        (b"[1,]", {}, Reason.MALFORMED_JSON),
        (b'[{"a": [1}, {"id": "b"}]', {}, Reason.MALFORMED_JSON),  # a mismatched bracket: no element can be delimited
        (b"[" + b"[" * 100000, {}, Reason.MALFORMED_JSON),
        (b"[1, 2]", {"oversized": True}, Reason.RESPONSE_TOO_LARGE),
    ],
)
def test_a_broken_response_is_rejected_whole(body: bytes, flags: dict, reason: Reason) -> None:
    outcome = split_response(response(body, **flags))
    assert isinstance(outcome, Rejection) and outcome.reason is reason
    assert outcome.reading_id is None and outcome.detail
    assert outcome.raw == body.decode("utf-8", "backslashreplace")


def test_details_of_whole_rejections() -> None:
    truncated = rejection(split_response(response(b"[1, 2", truncated=True, expected_bytes=10)))
    assert truncated.detail == "the connection closed after 5 of 10 bytes"
    not_utf8 = rejection(split_response(response(b"[\xff]")))
    assert not_utf8.detail == "the response is not UTF-8: invalid start byte at byte 1"
    far = rejection(split_response(response(b"[" + b" " * 3_000_000 + b"\xff]")))  # past the first slices of the check
    assert far.detail.startswith("the response is not UTF-8: invalid start byte at byte 3000001")
    deep = rejection(split_response(response(b"[" + b"{" * 600)))
    assert deep.detail == "the response nests more than 512 levels deep"


def test_a_whole_rejection_keeps_only_the_head_of_a_large_body() -> None:
    body = b"<html>" + "é".encode() * HEAD_BYTES
    outcome = split_response(response(body))
    assert isinstance(outcome, Rejection) and outcome.reason is Reason.MALFORMED_JSON
    assert len(outcome.raw.encode()) <= HEAD_BYTES and body.decode().startswith(outcome.raw)
    assert f"the body is {len(body)} bytes; raw holds its first {HEAD_BYTES}" in outcome.detail


def test_head_text_never_cuts_a_character() -> None:
    assert head_text("aé".encode(), 2) == "a" and head_text("aé".encode(), 3) == "aé"
    assert head_text(b"a\xff\xfe", 2) == "a\\xff"


def test_more_elements_than_the_cap_leave_one_rejection_for_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_module, "MAX_ELEMENTS", 3)
    split = split_response(response(b"[1, {}, [2], {}, 5]"))
    assert isinstance(split, SplitResponse) and list(split.elements()) == [b"1", b"{}", b"[2]"]
    assert split.excess is not None and split.excess.reason is Reason.RESPONSE_TOO_LARGE
    assert split.excess.raw == "{}, 5]"
    assert (
        split.excess.detail
        == "the response holds more than 3 elements: the first 3 are read, the 6 bytes from byte 13 on are not"
    )


def test_more_brackets_than_the_budget_leave_one_rejection_for_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_module, "MAX_BRACKETS", 6)
    split = split_response(response(b"[[[]], 1, [[], []], 2]"))
    assert isinstance(split, SplitResponse) and list(split.elements()) == [b"[[]]", b"1"]
    assert split.excess is not None and split.excess.raw == "[[], []], 2]"


def test_two_million_empty_objects_make_at_most_the_cap_of_elements() -> None:
    """Issue 13, case 6: 2 million ``{}`` (a 4 MB body) gave 814,000 rejection records and took 594 MB."""
    body = b"[" + b",".join([b"{}"] * 2_000_000) + b"]"
    split = split_response(response(body))
    assert isinstance(split, SplitResponse) and len(split) == response_module.MAX_ELEMENTS
    assert split.excess is not None and len(split.excess.raw.encode()) <= HEAD_BYTES


def test_an_element_larger_than_a_reading_may_be_is_rejected_unparsed() -> None:
    element = b'{"id": "a", "note": "' + b"x" * MAX_READING_BYTES + b'"}'
    rejection = oversized_element(element)
    assert rejection is not None and rejection.reason is Reason.MESSAGE_TOO_LARGE and rejection.reading_id is None
    assert rejection.raw == element.decode() and str(len(element)) in rejection.detail
    assert oversized_element(element[: MAX_READING_BYTES - 2] + b'"}') is None


NOW = datetime(2019, 2, 19, 14, 5, tzinfo=UTC)


def test_stamping_keeps_the_source_time() -> None:
    stamped = json.loads(stamp_fetch_time('{"id": "a", "timestamp": "2000-01-01 00:00:00", "t": "é"}'.encode(), NOW))
    assert stamped == {"id": "a", "timestamp": "2019-02-19T14:05:00.000Z", "source_timestamp": "2000-01-01 00:00:00", "t": "é"}
    assert json.loads(stamp_fetch_time(b'{"id": "a"}', NOW)) == {"id": "a", "timestamp": "2019-02-19T14:05:00.000Z"}


@pytest.mark.parametrize("element", [b"42", b"[1]", b"{", b'{"a": 1, "a": 2}'])
def test_stamping_leaves_what_is_not_a_plain_object(element: bytes) -> None:
    assert stamp_fetch_time(element, NOW) == element


def test_an_integer_too_long_to_convert_is_still_split_for_validation_to_reject() -> None:
    giant = '{"temperature": ' + "9" * 5000 + "}"
    assert split_array(f"[{giant}, 1e400]") == [giant, "1e400"]
