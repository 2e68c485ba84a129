"""Decoding one record of the results topic: rows, tombstones, and every way a record can be wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.records import BadRecord, Removal, decode_record
from results import records as written
from results.rows import ResultRow
from tests.dashboard.fakes import HOUR, record_key, record_value


def test_a_row_is_decoded_with_aware_utc_times() -> None:
    change = decode_record(record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", 9.53, 120, 8.1))
    assert change == ResultRow(HOUR, "Bretagne", 9.53, 120, 8.1,
                               datetime(2026, 12, 5, 13, 5, 1, 123000, tzinfo=UTC))  # fmt: skip


def test_no_mean_three_hours_before_is_none() -> None:
    change = decode_record(record_key(HOUR, "Corse"), record_value(HOUR, "Corse", before=None))
    assert isinstance(change, ResultRow) and change.mean_temperature_3h_before is None


def test_accented_region_names_round_trip_in_utf8() -> None:
    change = decode_record(record_key(HOUR, "Île-de-France"), record_value(HOUR, "Île-de-France", mean=-3))
    assert isinstance(change, ResultRow) and change.region == "Île-de-France" and change.mean_temperature == -3.0


def test_a_tombstone_removes_the_row_of_its_key() -> None:
    assert decode_record(record_key(HOUR, "Provence-Alpes-Côte d'Azur"), None) == Removal(HOUR, "Provence-Alpes-Côte d'Azur")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (None, b"{}", "no key"),
        (b"\xff\xfe", None, "not UTF-8"),
        (b"2026-12-05T13:00:00Z", None, "is not '<hour>/<region>'"),
        (b"yesterday/Bretagne", None, "not an ISO-8601 time"),
        (b"2026-12-05T13:00:00/Bretagne", None, "has no offset"),
        (b"2026-12-05T13:30:00Z/Bretagne", None, "not the start of an hour"),
        (b"2026-12-05T13:00:00Z/Atlantis", None, "not a region of France"),
        (b"2026-12-05T13:00:00Z/Bretagne", b"\xff{", "not UTF-8 JSON"),
        (b"2026-12-05T13:00:00Z/Bretagne", b"[1, 2]", "not a JSON object"),
        (b"2026-12-05T13:00:00Z/Bretagne", b'{"hour": "2026-12-05T13:00:00Z"}', "lacks region, mean_temperature"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", mean="9.5"), "mean_temperature is not a finite number"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", mean=None), "mean_temperature is not a finite number"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne").replace(b"9.53", b"NaN"), "not a finite number"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", before=float("inf")), "not a finite number"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", readings=0), "readings is not a positive"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", readings=2.5), "readings is not a positive"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", readings=True), "readings is not a positive"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Bretagne", updated_at=12), "updated_at is not a string"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR, "Corse"), "differ from the key's"),
        (record_key(HOUR, "Bretagne"), record_value(HOUR.replace(hour=14), "Bretagne"), "differ from the key's"),
        (b"0001-01-01T00:00:00+01:00/Bretagne", None, "outside the years 1 to 9999"),
    ],
)
def test_a_bad_record_says_why_in_one_line(key: bytes | None, value: bytes | None, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason) as error:
        decode_record(key, value)
    assert "\n" not in str(error.value)


def test_the_same_hour_with_another_offset_is_the_same_key() -> None:
    key = b"2026-12-05T14:00:00+01:00/Bretagne"
    assert decode_record(key, None) == Removal(HOUR, "Bretagne")


@pytest.mark.parametrize(
    "row",
    [
        ResultRow(HOUR, "Île-de-France", -3.25, 1, None, None),
        ResultRow(HOUR, "Provence-Alpes-Côte d'Azur", 21.0, 4_000_000, 19.5,
                  datetime(2026, 12, 5, 13, 59, 59, 999000, tzinfo=UTC)),  # fmt: skip
    ],
)
def test_what_the_job_writes_is_what_the_dashboard_reads(row: ResultRow) -> None:
    """The writer's encoding (results/records.py) against this decoding: a renamed field fails here."""
    key = written.record_key(row.hour, row.region).encode("utf-8")
    assert decode_record(key, written.record_value(row).encode("utf-8")) == row
    assert decode_record(key, None) == Removal(row.hour, row.region)
