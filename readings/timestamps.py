"""The ``timestamp`` field: ``YYYY-MM-DD HH:MM:SS`` in a configured zone, or ISO-8601 with an offset."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NAIVE_EPOCH = datetime(1970, 1, 1)
ONE_MS = timedelta(milliseconds=1)

# Extended ISO-8601 only, with at least hours and minutes: fromisoformat alone would also take
# a bare date (midnight), week dates and any character as the date/time separator.
_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.ASCII
)


class InvalidTimestamp(ValueError):
    """The text is not a time we can place on the UTC axis without guessing."""


def zone_of(name: str) -> tzinfo:
    """The zone that naive timestamps are read in (``UTC`` avoids zoneinfo's DST lookups)."""
    return timezone.utc if name.upper() == "UTC" else ZoneInfo(name)


def epoch_ms(text: str, zone: tzinfo) -> int:
    """UTC epoch milliseconds of ``text``; naive times are in ``zone``.

    A local time that falls in a DST gap does not exist and is refused; one that happens twice
    (the autumn change) is read as the first, per PEP 495 (``fold=0``).
    """
    # The brief's 'YYYY-MM-DD HH:MM:SS' skips the regular expression: fromisoformat checks the
    # digits, and these three characters rule out the other ISO forms of that length.
    brief_form = len(text) == 19 and text[10] == " " and text[7] == "-"
    if not brief_form and _SHAPE.fullmatch(text) is None:
        raise InvalidTimestamp(f"{text!r} is not 'YYYY-MM-DD HH:MM:SS' nor ISO-8601 with a time")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return (moment - EPOCH) // ONE_MS
        if zone is timezone.utc:
            return (moment - NAIVE_EPOCH) // ONE_MS
        placed = moment.replace(tzinfo=zone)
        exists = placed.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == moment
    except (ValueError, OverflowError) as error:
        raise InvalidTimestamp(f"{text!r} is not a valid time: {error}") from None
    if not exists:
        raise InvalidTimestamp(f"{text!r} does not exist in {zone} (skipped by a DST change)")
    return (placed - EPOCH) // ONE_MS
