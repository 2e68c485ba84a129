"""Region lookup of a batch (outside_france) and the record of the rejected topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from readings import Reading, Reason, Rejection, locate_readings, rejection_record
from readings.rejected import MAX_RECORD_BYTES

NOW = datetime(2019, 2, 19, 14, 5, 0, 123456, tzinfo=UTC)


class BoxRegions:
    """Bretagne is the box lat 47-49, lon -5 to -1; everything else is nowhere."""

    def __init__(self) -> None:
        self.lookups = 0

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        self.lookups += 1
        inside = (lat >= 47) & (lat <= 49) & (lon >= -5) & (lon <= -1)
        names = np.full(inside.shape, None, dtype=object)
        names[inside] = "Bretagne"
        return names

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array(["Bretagne"] * len(lat), dtype=object), np.full(len(lat), 123.456)


def reading(reading_id: str, lat: float, lon: float) -> Reading:
    return Reading(reading_id, 0, lat, lon, 10.0, f'{{"id": "{reading_id}"}}')


def test_one_lookup_for_the_batch_and_rejections_in_place() -> None:
    regions = BoxRegions()
    batch = [reading("a", 48.0, -3.0), reading("b", 40.4, -3.7), reading("c", 47.5, -2.0)]
    located = locate_readings(batch, regions)
    assert regions.lookups == 1
    assert located[0] == "Bretagne" and located[2] == "Bretagne"
    assert located[1] == Rejection(
        Reason.OUTSIDE_FRANCE,
        "(40.4, -3.7) is in no region of France; nearest is Bretagne, 123.5 km away",
        '{"id": "b"}',
        "b",
    )


def test_an_empty_batch_needs_no_lookup() -> None:
    regions = BoxRegions()
    assert locate_readings([], regions) == []
    assert regions.lookups == 0


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
