"""One record of the results topic ``sensor.region_hourly_means`` as a change of a result row.

The dashboard's only module that knows the topic's record (docs/contract.md §2.6; the writer's
side is ``results/records.py``, and a test holds the two together): key ``"<hour>/<region>"`` in
UTF-8, hour as ``2026-12-05T13:00:00Z``; value the row as UTF-8 JSON, or none (a tombstone)
when the row was deleted. Stricter than the writer needs to be: a record that is not exactly
that is refused with its reason, so a change of format shows at once in the dashboard's log.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, NamedTuple

from geo import REGION_NAMES
from results.rows import ResultRow

VALUE_FIELDS = ("hour", "region", "mean_temperature", "readings", "mean_temperature_3h_before", "updated_at")


class BadRecord(ValueError):
    """A record this dashboard cannot use; the message says why, on one line."""


class Removal(NamedTuple):
    """The row of (hour, region) was deleted: every reading of it was corrected away."""

    hour: datetime
    region: str


Change = ResultRow | Removal


def decode_record(key: bytes | None, value: bytes | None) -> Change:
    """The change one record carries, or BadRecord naming what is wrong with it."""
    hour, region = _decode_key(key)
    if value is None:
        return Removal(hour, region)
    row = _decode_value(value)
    if (row.hour, row.region) != (hour, region):
        raise BadRecord(f"the value's hour and region ({_utc_text(row.hour)}/{row.region}) differ from the key's")
    return row


def _decode_key(key: bytes | None) -> tuple[datetime, str]:
    if key is None:
        raise BadRecord("no key")
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRecord("the key is not UTF-8") from None
    hour_text, slash, region = text.partition("/")
    if not slash:
        raise BadRecord(f"the key {text[:80]!r} is not '<hour>/<region>'")
    return _hour(hour_text, "the key's hour"), _region(region)


def _decode_value(value: bytes) -> ResultRow:
    try:
        fields = json.loads(value)
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
        raise BadRecord("the value is not UTF-8 JSON") from None
    if not isinstance(fields, dict):
        raise BadRecord("the value is not a JSON object")
    missing = [name for name in VALUE_FIELDS if name not in fields]
    if missing:
        raise BadRecord(f"the value lacks {', '.join(missing)}")
    readings = fields["readings"]
    if type(readings) is not int or readings < 1:
        raise BadRecord(f"readings is not a positive whole number: {str(readings)[:40]}")
    before, updated_at = fields["mean_temperature_3h_before"], fields["updated_at"]
    return ResultRow(
        hour=_hour(fields["hour"], "hour"),
        region=_region(fields["region"]),
        mean_temperature=_temperature(fields["mean_temperature"], "mean_temperature"),
        readings=readings,
        mean_temperature_3h_before=None if before is None else _temperature(before, "mean_temperature_3h_before"),
        updated_at=None if updated_at is None else _moment(updated_at, "updated_at"),
    )


def _moment(text: Any, what: str) -> datetime:
    """An ISO-8601 time with an explicit offset (``Z`` or ``+00:00``), as an aware UTC datetime."""
    if not isinstance(text, str):
        raise BadRecord(f"{what} is not a string")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"{what} {text[:40]!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise BadRecord(f"{what} {text[:40]!r} has no offset (the topic's times are UTC, with Z)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadRecord(f"{what} {text[:40]!r} is outside the years 1 to 9999 in UTC") from None


def _hour(text: Any, what: str) -> datetime:
    moment = _moment(text, what)
    if (moment.minute, moment.second, moment.microsecond) != (0, 0, 0):
        raise BadRecord(f"{what} {text!r} is not the start of an hour")
    return moment


def _region(name: Any) -> str:
    if name not in REGION_NAMES:
        raise BadRecord(f"{str(name)[:60]!r} is not a region of France (docs/contract.md §4.2)")
    return name


def _temperature(number: Any, what: str) -> float:
    if type(number) not in (int, float) or not math.isfinite(number):
        raise BadRecord(f"{what} is not a finite number: {str(number)[:40]}")
    return float(number)


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
