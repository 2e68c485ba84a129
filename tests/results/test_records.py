"""The results topic's record (docs/contract.md §2.6): what the writer publishes, consumers decode."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from results.records import decode_record, record_key, record_value
from results.rows import ResultRow

HOUR = datetime(2026, 12, 5, 13, tzinfo=UTC)
ROW = ResultRow(HOUR, "Provence-Alpes-Côte d'Azur", 9.53, 120, None, datetime(2026, 12, 5, 13, 5, 1, 123000, tzinfo=UTC))


def test_a_row_round_trips_through_its_record() -> None:
    key, value = record_key(ROW.hour, ROW.region), record_value(ROW)
    assert key == "2026-12-05T13:00:00Z/Provence-Alpes-Côte d'Azur"
    assert json.loads(value) == {"hour": "2026-12-05T13:00:00Z", "region": ROW.region, "mean_temperature": 9.53,
                                 "readings": 120, "mean_temperature_3h_before": None, "updated_at": "2026-12-05T13:05:01.123Z"}
    assert decode_record(key.encode(), value.encode()).row == ROW


def test_a_tombstone_is_a_deleted_row() -> None:
    assert decode_record(b"2026-12-05T13:00:00Z/Corse", None) == ("2026-12-05T13:00:00Z/Corse", None)


@pytest.mark.parametrize(("key", "value", "problem"), [
    (b"k", b"[]", "JSON object"),
    (b"2026-12-05T13:00:00Z/Corse", json.dumps({"hour": "2026-12-05T13:00:00Z"}).encode(), "usable"),
    (b"2026-12-05T14:00:00Z/Corse", record_value(ROW._replace(region="Corse")).encode(), "not the row's"),
    (b"k", b"{oops", "Expecting"),
])
def test_a_record_of_another_shape_is_refused_with_its_reason(key: bytes, value: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode_record(key, value)
