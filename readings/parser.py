"""Turn one message into a ``Reading`` or a ``Rejection``, by the rules of docs/contract.md §1.2.

Called for every message by the poller and by the Flink job, so the happy path does no more
than one JSON decode, a handful of type checks and one timestamp parse.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from readings.model import Reading, Rejection
from readings.reasons import Reason, quoted
from readings.timestamps import EPOCH, ONE_MS, InvalidTimestamp, earliest_ms, epoch_ms, zone_of
from settings import ReadingRules

REQUIRED_FIELDS = ("id", "timestamp", "lat", "lon", "temperature")
KEYS_SHOWN = 5  # repeated keys a duplicate_key detail names before "..."

# A message as Kafka hands it over (bytes, or any buffer of them) or as text.
RawMessage = bytes | bytearray | memoryview | str


class _RepeatedKeys(dict):
    """An object that named a key twice: which value is meant is ambiguous, so it is refused."""

    def __init__(self, pairs: list[tuple[str, Any]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    repeated = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
    return _RepeatedKeys(pairs, repeated)


# Python's decoder accepts NaN and Infinity: they parse as floats and fail the range checks,
# which gives them the reason codes the contract asks for.
_STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_object_from_pairs)


def decode_json(text: str) -> Any:
    """``text`` decoded, repeated keys marked; raises ``ValueError`` when it is not JSON.

    orjson is five times faster than the standard decoder but keeps the last of repeated keys
    and refuses NaN. So the standard decoder, which sees repeated keys, runs whenever orjson
    fails, the object nests, or its quote count says the text holds more members than the
    object (every member and string value brings two quotes; extra quotes can only come from
    repeated members or escaped quotes).
    """
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _STRICT_DECODER.decode(text)
    if type(obj) is dict:
        quotes = 2 * len(obj)
        for value in obj.values():
            kind = type(value)
            if kind is str:
                quotes += 2
            elif kind is dict or kind is list:
                return _STRICT_DECODER.decode(text)
        if quotes != text.count('"'):
            return _STRICT_DECODER.decode(text)
    return obj


def _names(keys: list[str]) -> str:
    shown = ", ".join(quoted(key) for key in keys[:KEYS_SHOWN])
    return shown if len(keys) <= KEYS_SHOWN else f"{shown}, ... ({len(keys):,} keys)"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# Compared with type(), not isinstance: a bool is an int in Python, and is not a number here.
_NUMBER_TYPES = (float, int)


def decode_text(raw: RawMessage) -> str | Rejection:
    """The message as text; bytes must be UTF-8 (shown escaped in the rejection if not)."""
    if isinstance(raw, str):
        return raw
    data = bytes(raw)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Rejection(
            Reason.INVALID_ENCODING,
            f"not UTF-8: {error.reason} at byte {error.start}",
            data.decode("utf-8", "backslashreplace"),
        )


class ReadingParser:
    """``parse_reading`` with the rules resolved once (zone, bounds, margin, earliest time)."""

    def __init__(self, rules: ReadingRules) -> None:
        self.rules = rules
        self._zone = zone_of(rules.timezone)
        self._min_temperature = rules.min_temperature
        self._max_temperature = rules.max_temperature
        self._future_margin_ms = round(rules.future_margin_seconds * 1000)
        self._max_id_length = rules.max_id_length
        self._earliest_ms = earliest_ms(rules.earliest_year)

    def parse(self, raw: RawMessage, now_ms: int) -> Reading | Rejection:
        """Validate one message against the clock ``now_ms`` (UTC epoch milliseconds)."""
        text = decode_text(raw)
        if isinstance(text, Rejection):
            return text
        if not text or text.isspace():
            return Rejection(Reason.EMPTY_MESSAGE, "the message is empty", text)
        try:
            obj = decode_json(text)
        except json.JSONDecodeError as error:
            return Rejection(Reason.MALFORMED_JSON, f"{error.msg} at line {error.lineno} column {error.colno}", text)
        except (ValueError, RecursionError) as error:  # e.g. an integer of more than 4300 digits
            return Rejection(Reason.MALFORMED_JSON, f"not decodable: {error}", text)
        if type(obj) is not dict:
            return self._not_a_plain_object(obj, text)
        return self._validate(obj, text, now_ms)

    def _not_a_plain_object(self, obj: Any, text: str) -> Rejection:
        if isinstance(obj, _RepeatedKeys):
            reading_id = None if "id" in obj.repeated else self._usable_id(obj)
            return Rejection(Reason.DUPLICATE_KEY, f"key named more than once: {_names(obj.repeated)}", text, reading_id)
        return Rejection(Reason.NOT_AN_OBJECT, f"a JSON {_json_kind(obj)} where an object belongs", text)

    def _usable_id(self, obj: dict[str, Any]) -> str | None:
        reading_id = obj.get("id")
        return reading_id if type(reading_id) is str and self._id_problem(reading_id) is None else None

    def _id_problem(self, reading_id: str) -> str | None:
        if not reading_id or reading_id.isspace():
            return "id is empty"
        if len(reading_id) > self._max_id_length:
            return f"id has {len(reading_id)} characters, more than {self._max_id_length}"
        if not reading_id.isascii():
            try:
                reading_id.encode("utf-8")
            except UnicodeEncodeError:
                return "id holds an unpaired surrogate (\\ud800-\\udfff) and cannot be a Kafka key"
        return None

    def _validate(self, obj: dict[str, Any], text: str, now_ms: int) -> Reading | Rejection:
        try:
            reading_id = obj["id"]
            timestamp = obj["timestamp"]
            lat = obj["lat"]
            lon = obj["lon"]
            temperature = obj["temperature"]
        except KeyError:
            missing = [name for name in REQUIRED_FIELDS if name not in obj]
            return Rejection(Reason.MISSING_FIELD, f"missing: {', '.join(missing)}", text, self._usable_id(obj))

        if type(reading_id) is not str:
            return Rejection(Reason.INVALID_TYPE, f"id is a {_json_kind(reading_id)}, expected a string", text)
        problem = self._id_problem(reading_id)
        if problem is not None:
            return Rejection(Reason.INVALID_ID, problem, text)

        numbers = _NUMBER_TYPES
        if type(timestamp) is not str or not (
            type(lat) in numbers and type(lon) in numbers and type(temperature) in numbers
        ):
            return Rejection(Reason.INVALID_TYPE, self._type_problems(obj), text, reading_id)

        try:
            event_time_ms = epoch_ms(timestamp, self._zone)
        except InvalidTimestamp as error:
            return Rejection(Reason.INVALID_TIMESTAMP, str(error), text, reading_id)
        if event_time_ms < self._earliest_ms:
            return Rejection(
                Reason.INVALID_TIMESTAMP,
                f"{quoted(timestamp)} is before {self.rules.earliest_year}-01-01T00:00:00Z, the earliest accepted time",
                text,
                reading_id,
            )
        ahead_ms = event_time_ms - now_ms
        if ahead_ms > self._future_margin_ms:
            return Rejection(
                Reason.FUTURE_TIMESTAMP,
                f"{quoted(timestamp)} is {ahead_ms / 1000:.0f} s ahead of the clock "
                f"(margin {self._future_margin_ms / 1000:.0f} s)",
                text,
                reading_id,
            )

        # Written so that NaN, which compares false with everything, fails each check.
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return Rejection(
                Reason.INVALID_COORDINATES, f"lat {lat} lon {lon}: need finite lat in [-90, 90], lon in [-180, 180]",
                text, reading_id,
            )
        if not (self._min_temperature <= temperature <= self._max_temperature):
            return Rejection(
                Reason.TEMPERATURE_OUT_OF_RANGE,
                f"temperature {temperature} not a finite value in [{self._min_temperature}, {self._max_temperature}]",
                text,
                reading_id,
            )
        return Reading(reading_id, event_time_ms, float(lat), float(lon), float(temperature), text)

    @staticmethod
    def _type_problems(obj: dict[str, Any]) -> str:
        problems = [] if type(obj["timestamp"]) is str else [f"timestamp is a {_json_kind(obj['timestamp'])}, expected a string"]
        problems += [
            f"{name} is a {_json_kind(obj[name])}, expected a number"
            for name in ("lat", "lon", "temperature")
            if type(obj[name]) not in _NUMBER_TYPES
        ]
        return "; ".join(problems)


@lru_cache(maxsize=8)
def parser_for(rules: ReadingRules) -> ReadingParser:
    return ReadingParser(rules)


def epoch_ms_of(moment: datetime) -> int:
    """UTC epoch milliseconds of an aware datetime."""
    return (moment - EPOCH) // ONE_MS


def parse_reading(raw: RawMessage, now: datetime, rules: ReadingRules) -> Reading | Rejection:
    """Validate one message (bytes from Kafka or text) as judged at ``now`` (an aware datetime)."""
    return parser_for(rules).parse(raw, epoch_ms_of(now))
