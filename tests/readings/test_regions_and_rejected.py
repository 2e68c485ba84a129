"""Region lookup of a batch (outside_france) and the record of the rejected topic."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from readings import Reading, Reason, Rejection, locate_readings, rejection_record

NOW = datetime(2019, 2, 19, 14, 5, 0, 123456, tzinfo=timezone.utc)


class BoxRegions:
    """Bretagne is the box lat 47-49, lon -5 to -1; everything else is nowhere."""

    def __init__(self) -> None:
        self.lookups = 0

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        self.lookups += 1
        inside = (lat >= 47) & (lat <= 49) & (lon >= -5) & (lon <= -1)
        return np.where(inside, "Bretagne", None).astype(object)

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


def test_huge_raw_text_is_cut_and_says_so() -> None:
    raw = "é" * 1000  # 2000 bytes
    _, value = rejection_record(Rejection(Reason.MALFORMED_JSON, "bad", raw), "ingest", NOW, max_raw_bytes=101)
    record = json.loads(value)
    assert record["raw"] == "é" * 50  # never half a character
    assert record["detail"] == "bad (raw cut to its first 101 of 2000 bytes)"


def test_unpaired_surrogates_cannot_break_the_record() -> None:
    _, value = rejection_record(Rejection(Reason.INVALID_ID, "x", "\udc80"), "job", NOW)
    assert json.loads(value)["raw"]
