"""Every rule of docs/contract.md §1.2, each broken input with its reason code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from readings import Reading, ReadingParser, Reason, Rejection, parse_reading
from readings.parser import decode_json
from settings import ReadingRules
from tests.support.verdicts import reading, rejection

NOW = datetime(2019, 2, 19, 14, 5, 0, tzinfo=UTC)
NOW_MS = 1550585100000
RULES = ReadingRules()
GOOD: dict[str, Any] = {
    "id": "1b16b092-e8e8-490b-a9be-0db1580fb164",
    "timestamp": "2019-02-19 14:02:10",
    "lat": 45.6258385,
    "lon": 0.0629891,
    "temperature": 29.4068,
    "country": "France",
}


def text_with(**changes: object) -> str:
    fields = {**GOOD, **changes}
    return json.dumps({name: value for name, value in fields.items() if value is not ...})


def rejection_of(raw: bytes | str) -> Rejection:
    return rejection(parse_reading(raw, NOW, RULES))


def reason_of(raw: bytes | str) -> Reason | None:
    outcome = parse_reading(raw, NOW, RULES)
    return outcome.reason if isinstance(outcome, Rejection) else None


def test_the_briefs_example_is_a_reading() -> None:
    raw = json.dumps(GOOD)
    reading = parse_reading(raw.encode(), NOW, RULES)
    assert reading == Reading(GOOD["id"], 1550584930000, 45.6258385, 0.0629891, 29.4068, raw)
    assert reading.event_time == datetime(2019, 2, 19, 14, 2, 10, tzinfo=UTC)


def test_integers_are_numbers_and_unknown_fields_are_ignored() -> None:
    reading = parse_reading(text_with(lat=45, lon=-1, temperature=0, extra={"nested": [1, 2]}, country=...), NOW, RULES)
    assert isinstance(reading, Reading)
    assert (reading.lat, reading.lon, reading.temperature) == (45.0, -1.0, 0.0)
    assert type(reading.lat) is float


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", Reason.EMPTY_MESSAGE),
        (" \n\t", Reason.EMPTY_MESSAGE),
        (b'{"id": "caf\xe9"}', Reason.INVALID_ENCODING),
        ('{"id": "a",', Reason.MALFORMED_JSON),
        ("{'id': 'a'}", Reason.MALFORMED_JSON),
        ("\ufeff" + json.dumps(GOOD), Reason.MALFORMED_JSON),
        ('{"temperature": ' + "9" * 5000 + "}", Reason.MALFORMED_JSON),
        ("[" * 100000, Reason.MALFORMED_JSON),
        (json.dumps([GOOD]), Reason.NOT_AN_OBJECT),
        ('"a reading"', Reason.NOT_AN_OBJECT),
        ("42", Reason.NOT_AN_OBJECT),
        ("null", Reason.NOT_AN_OBJECT),
        ("true", Reason.NOT_AN_OBJECT),
        ('{"a": 1, "a": 2}', Reason.DUPLICATE_KEY),
        (text_with(timestamp=...), Reason.MISSING_FIELD),
        (text_with(id=..., lat=...), Reason.MISSING_FIELD),
        (text_with(id=42), Reason.INVALID_TYPE),
        (text_with(temperature="21.5"), Reason.INVALID_TYPE),
        (text_with(lat=True), Reason.INVALID_TYPE),
        (text_with(lon=False), Reason.INVALID_TYPE),
        (text_with(lon=None), Reason.INVALID_TYPE),
        (text_with(temperature=[21.5]), Reason.INVALID_TYPE),
        (text_with(timestamp=1550584930), Reason.INVALID_TYPE),
        (text_with(id=""), Reason.INVALID_ID),
        (text_with(id="   "), Reason.INVALID_ID),
        (text_with(id="x" * 129), Reason.INVALID_ID),
        ('{"id": "\\ud800", "timestamp": "2019-02-19 14:02:10", "lat": 1, "lon": 1, "temperature": 1}', Reason.INVALID_ID),
        (text_with(timestamp="2019-02-30 10:00:00"), Reason.INVALID_TIMESTAMP),
        (text_with(timestamp="yesterday"), Reason.INVALID_TIMESTAMP),
        (text_with(timestamp="2019-02-19"), Reason.INVALID_TIMESTAMP),
        (text_with(timestamp="2019-02-19 15:02:10"), Reason.FUTURE_TIMESTAMP),
        (text_with(timestamp="2019-02-19T14:20:00+00:00"), Reason.FUTURE_TIMESTAMP),
        (text_with(lat=90.5), Reason.INVALID_COORDINATES),
        (text_with(lon=-180.01), Reason.INVALID_COORDINATES),
        (text_with(lat=10**30), Reason.INVALID_COORDINATES),
        (text_with(temperature=70.01), Reason.TEMPERATURE_OUT_OF_RANGE),
        (text_with(temperature=-90.5), Reason.TEMPERATURE_OUT_OF_RANGE),
        (text_with(temperature=10**30), Reason.TEMPERATURE_OUT_OF_RANGE),
    ],
)
def test_each_broken_input_has_its_reason(raw: bytes | str, reason: Reason) -> None:
    assert reason_of(raw) is reason


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_out_of_range_not_malformed(literal: str) -> None:
    assert (
        reason_of(text_with(temperature=0).replace('"temperature": 0', f'"temperature": {literal}'))
        is Reason.TEMPERATURE_OUT_OF_RANGE
    )
    assert reason_of(text_with(lat=0).replace('"lat": 0', f'"lat": {literal}')) is Reason.INVALID_COORDINATES
    assert reason_of(text_with(lon=0).replace('"lon": 0', f'"lon": {literal}')) is Reason.INVALID_COORDINATES


def test_the_bounds_themselves_are_valid() -> None:
    for changes in ({"lat": 90, "lon": 180}, {"lat": -90, "lon": -180}, {"temperature": 70}, {"temperature": -90.0}):
        assert reason_of(text_with(**changes)) is None


def test_the_future_margin_is_inclusive_and_configurable() -> None:
    at_margin = text_with(timestamp="2019-02-19 14:15:00")  # NOW + 10 min
    assert reason_of(at_margin) is None
    assert reason_of(text_with(timestamp="2019-02-19 14:15:01")) is Reason.FUTURE_TIMESTAMP
    strict = ReadingParser(ReadingRules(future_margin_seconds=0))
    assert rejection(strict.parse(text_with(timestamp="2019-02-19 14:05:01"), NOW_MS)).reason is Reason.FUTURE_TIMESTAMP


def test_configured_bounds_apply() -> None:
    parser = ReadingParser(ReadingRules(min_temperature=-40, max_temperature=50, max_id_length=4))
    assert rejection(parser.parse(text_with(id="abcd", temperature=55), NOW_MS)).reason is Reason.TEMPERATURE_OUT_OF_RANGE
    assert rejection(parser.parse(text_with(id="abcde"), NOW_MS)).reason is Reason.INVALID_ID
    assert isinstance(parser.parse(text_with(id="abcd", temperature=-40), NOW_MS), Reading)


def test_rejections_keep_the_raw_text_and_the_id_when_usable() -> None:
    raw = text_with(temperature="hot")
    rejection = parse_reading(raw, NOW, RULES)
    assert rejection == Rejection(Reason.INVALID_TYPE, "temperature is a string, expected a number", raw, GOOD["id"])


@pytest.mark.parametrize(
    ("raw", "expected_id"),
    [
        (text_with(id=""), None),
        (text_with(id=7), None),
        ('{"id": "a", "id": "b"}', None),
        ('{"id": "a", "lat": 1, "lat": 2}', "a"),
        ('{"id": "", "lat": 1, "lat": 2}', None),
        (text_with(lat=...), GOOD["id"]),
        (text_with(id=7, lat=...), None),
        (b'{"id": "caf\xe9"}', None),
    ],
)
def test_the_key_of_a_rejection_is_the_id_only_when_it_is_one(raw: bytes | str, expected_id: str | None) -> None:
    assert rejection_of(raw).reading_id == expected_id


def test_details_say_what_is_wrong() -> None:
    assert rejection_of(text_with(id=..., lat=...)).detail == "missing: id, lat"
    assert rejection_of('{"a": 1, "b": 2, "a": 3, "b": 4}').detail == "key named more than once: 'a', 'b'"
    assert rejection_of(text_with(timestamp=None, lat="1")).detail == (
        "timestamp is a null, expected a string; lat is a string, expected a number"
    )
    assert rejection_of("{}").detail.startswith("missing: id, timestamp")
    assert rejection_of("[]").detail == "a JSON array where an object belongs"
    assert rejection_of("{").detail.endswith("at line 1 column 2")
    assert "3600 s ahead" in rejection_of(text_with(timestamp="2019-02-19 15:05:00")).detail
    assert parse_reading(b"\xff", NOW, RULES).raw == "\\xff"
    assert rejection_of(text_with(id="x" * 200)).detail == "id has 200 characters, more than 128"


def test_details_quote_at_most_the_start_of_what_they_are_about() -> None:
    """A detail is one short line whatever the message holds (issue 13: a 3 MB timestamp, a 3 MB key)."""
    huge = "9" * 3_000_000
    assert rejection_of(text_with(timestamp=huge)).detail == (
        f"'{'9' * 64}'... (3,000,000 characters) is not 'YYYY-MM-DD HH:MM:SS' nor ISO-8601 with a time"
    )
    repeated = "".join(f'"{name}": 1, "{name}": 2, ' for name in ["k" * 3_000_000, *"abcdef"])
    detail = rejection_of("{" + repeated + '"z": 0}').detail
    assert detail == "key named more than once: 'a', 'b', 'c', 'd', 'e', ... (7 keys)"
    assert len(rejection_of("{" + repeated[: repeated.index('"a"')] + '"z": 0}').detail) < 200


def test_event_times_before_the_earliest_year_are_invalid() -> None:
    """Issue 13: year 1 passed as valid, then crashed iot-reconcile; the earliest year is configurable."""
    year_one = rejection_of(text_with(timestamp="0001-01-01T00:00:00+01:00"))
    assert year_one.reason is Reason.INVALID_TIMESTAMP and "outside the years 1 to 9999 in UTC" in year_one.detail
    before = rejection_of(text_with(timestamp="1999-12-31T23:59:59.999Z"))
    assert before.reason is Reason.INVALID_TIMESTAMP
    assert before.detail == "'1999-12-31T23:59:59.999Z' is before 2000-01-01T00:00:00Z, the earliest accepted time"
    assert isinstance(parse_reading(text_with(timestamp="2000-01-01T00:00:00Z"), NOW, RULES), Reading)
    assert reason_of(text_with(timestamp="2000-01-01T00:30:00+01:00")) is Reason.INVALID_TIMESTAMP  # 1999 in UTC
    older = ReadingParser(ReadingRules(earliest_year=1900))
    assert isinstance(older.parse(text_with(timestamp="1969-12-31 23:59:59"), NOW_MS), Reading)
    with pytest.raises(ValueError, match="from 1 to 9999"):
        ReadingParser(ReadingRules(earliest_year=0))


def test_the_earliest_year_comes_from_the_environment() -> None:
    from settings import Settings

    assert Settings.from_env({"IOT_RULES_EARLIEST_YEAR": "1990"}).rules.earliest_year == 1990
    assert Settings.from_env({}).rules.earliest_year == 2000


def test_a_non_ascii_id_is_fine() -> None:
    assert reading(parse_reading(text_with(id="capteur-é"), NOW, RULES)).id == "capteur-é"


def test_bytes_like_input_is_accepted() -> None:
    raw = json.dumps(GOOD).encode()
    assert isinstance(parse_reading(bytearray(raw), NOW, RULES), Reading)
    assert isinstance(parse_reading(memoryview(raw), NOW, RULES), Reading)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "x\\"y", "a": 1}',  # an escaped quote makes the quote count useless
        '{"a": {"b": 1, "b": 2}}',  # nested: the strict decoder runs, the inner repeat is marked
        '{"a": NaN}',
        '{"a": 1, "a": 1}',
    ],
)
def test_decode_json_agrees_with_the_standard_decoder(text: str) -> None:
    assert decode_json(text) == json.loads(text)


def test_decode_json_marks_repeated_keys_at_any_depth() -> None:
    assert decode_json('{"a": 1, "a": 2}').repeated == ["a"]
    assert decode_json('{"x": {"b": 1, "b": 2}}')["x"].repeated == ["b"]
    assert not hasattr(decode_json('{"a": 1, "b": "c"}'), "repeated")
    assert decode_json("[1, 2]") == [1, 2]


def test_a_repeat_inside_an_ignored_field_does_not_reject_the_reading() -> None:
    raw = text_with(extra=0).replace('"extra": 0', '"extra": {"k": 1, "k": 2}')
    assert isinstance(parse_reading(raw, NOW, RULES), Reading)
