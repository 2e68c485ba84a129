"""The record of the rejected topic: its fields, its key, and its bound."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from readings import Reason, Rejection, rejection_record
from readings.rejected import MAX_RECORD_BYTES

NOW = datetime(2019, 2, 19, 14, 5, 0, 123456, tzinfo=UTC)




def test_rejection_record_matches_the_topic_contract() -> None:
    key, value = rejection_record(Rejection(Reason.MISSING_FIELD, "missing: lat", '{"id": "é"}', "é"), "ingest", NOW)
    assert key == "é".encode()
    assert json.loads(value) == {
        "reason": "missing_field",
        "detail": "missing: lat",
        "stage": "ingest",
        "raw": '{"id": "é"}',
        "rejected_at": "2019-02-19T14:05:00.123Z",
    }
    assert "é".encode() in value  # UTF-8, not \\u escapes


def test_rejection_record_without_id_has_no_key() -> None:
    key, value = rejection_record(Rejection(Reason.EMPTY_MESSAGE, "the message is empty", ""), "job", NOW)
    assert key is None
    assert json.loads(value)["stage"] == "job"


def test_a_record_too_large_is_cut_and_says_so() -> None:
    raw = "é" * 1000  # 2000 bytes
    key, value = rejection_record(Rejection(Reason.MALFORMED_JSON, "bad", raw, "k" * 500), "ingest", NOW, max_record_bytes=1600)
    record = json.loads(value)
    assert key == b"k" * 100 and len(key) + len(value) <= 1600  # a sixteenth of the record
    assert record["truncated"] is True and record["original_bytes"] == 500 + len(
        rejection_record(Rejection(Reason.MALFORMED_JSON, "bad", raw), "ingest", NOW)[1]
    )
    assert raw.startswith(record["raw"]) and len(record["raw"]) > 600  # never half a character
    assert record["detail"] == "bad"


def test_a_record_that_fits_is_whole_and_not_marked() -> None:
    raw = "\x01" * 100
    key, value = rejection_record(Rejection(Reason.MALFORMED_JSON, "bad", raw, "id"), "job", NOW)
    assert "truncated" not in json.loads(value) and json.loads(value)["raw"] == raw


def test_escaping_counts_in_the_limit() -> None:
    """Issue 13: 200,000 bytes of \\x01 escape to 1.2 MB; 600 KB of quotes to 1.2 MB."""
    for raw in ("\x01" * 200_000, '"' * 600_000, "\\" * 600_000, "\udc80" * 200_000):
        key, value = rejection_record(Rejection(Reason.MALFORMED_JSON, raw, raw), "job", NOW)
        record = json.loads(value)
        assert len(value) <= MAX_RECORD_BYTES and record["truncated"] is True
        assert raw.startswith(record["raw"]) and raw.startswith(record["detail"])
        assert len(value) > MAX_RECORD_BYTES - 6  # the room is used: at most one escape short


def test_the_limit_leaves_room_under_kafkas_default_of_1_mib() -> None:
    assert 1_048_576 - MAX_RECORD_BYTES >= 40_000


def test_unpaired_surrogates_cannot_break_the_record() -> None:
    _, value = rejection_record(Rejection(Reason.INVALID_ID, "x", "\udc80"), "job", NOW)
    assert json.loads(value)["raw"]
