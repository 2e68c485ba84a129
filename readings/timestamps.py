"""The ``timestamp`` field: ``YYYY-MM-DD HH:MM:SS`` in a configured zone, or ISO-8601 with an offset.

Accepted times lie between January 1 of the earliest accepted year (``ReadingRules.earliest_year``,
UTC) and the judging clock plus the future margin, and never outside the years 1 to 9999 once in
UTC: every tool (the tables, ``iot-query``, ``iot-reconcile``, the oracle, the late topic) can
then show each accepted time as an ordinary ISO-8601 date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from readings.reasons import quoted

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)
ONE_MS = timedelta(milliseconds=1)
# The first and last milliseconds Python's datetime holds: years 1 to 9999 in UTC.
FIRST_MS = (datetime.min.replace(tzinfo=UTC) - EPOCH) // ONE_MS
LAST_MS = (datetime.max.replace(tzinfo=UTC) - EPOCH) // ONE_MS

# Extended ISO-8601 only, with at least hours and minutes: fromisoformat alone would also take
# a bare date (midnight), week dates and any character as the date/time separator.
_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.ASCII
)


class InvalidTimestamp(ValueError):
    """The text is not a time we can place on the UTC axis without guessing."""


def zone_of(name: str) -> tzinfo:
    """The zone that naive timestamps are read in (``UTC`` avoids zoneinfo's DST lookups)."""
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def earliest_ms(year: int) -> int:
    """UTC epoch milliseconds of January 1 of ``year``, 00:00 UTC: the earliest accepted event time."""
    if not 1 <= year <= 9999:
        raise ValueError(f"the earliest accepted year must be from 1 to 9999, not {year}")
    return (datetime(year, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MS


def epoch_ms(text: str, zone: tzinfo) -> int:
    """UTC epoch milliseconds of ``text``; naive times are in ``zone``.

    A local time that falls in a DST gap does not exist and is refused; one that happens twice
    (the autumn change) is read as the first, per PEP 495 (``fold=0``). A time whose offset
    takes it out of the years 1 to 9999 in UTC is refused too.
    """
    # The brief's 'YYYY-MM-DD HH:MM:SS' skips the regular expression: fromisoformat checks the
    # digits, and these three characters rule out the other ISO forms of that length.
    brief_form = len(text) == 19 and text[10] == " " and text[7] == "-"
    if not brief_form and _SHAPE.fullmatch(text) is None:
        raise InvalidTimestamp(f"{quoted(text)} is not 'YYYY-MM-DD HH:MM:SS' nor ISO-8601 with a time")
    exists = True
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            milliseconds = (moment - EPOCH) // ONE_MS
        elif zone is UTC:
            milliseconds = (moment - NAIVE_EPOCH) // ONE_MS
        else:
            placed = moment.replace(tzinfo=zone)
            exists = placed.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment
            milliseconds = (placed - EPOCH) // ONE_MS
    except (ValueError, OverflowError) as error:
        raise InvalidTimestamp(f"{quoted(text)} is not a valid time: {error}") from None
    if not exists:
        raise InvalidTimestamp(f"{quoted(text)} does not exist in {zone} (skipped by a DST change)")
    if not FIRST_MS <= milliseconds <= LAST_MS:
        raise InvalidTimestamp(f"{quoted(text)} is outside the years 1 to 9999 in UTC")
    return milliseconds


def utc_text_of_ms(milliseconds: int) -> str:
    """ISO-8601 in UTC with milliseconds of any epoch millisecond, as the late topic prints it.

    Python's datetime stops at the years 1 to 9999; a time stored before the accepted range
    existed can lie outside, so the proleptic Gregorian date is computed here (H. Hinnant's
    ``civil_from_days``) and the year written as ISO-8601 expands it: ``0000``, ``-0001``, ``+10000``.
    """
    days, rest = divmod(milliseconds, 86_400_000)
    era, day_of_era = divmod(days + 719_468, 146_097)
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (month <= 2)
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{year_text}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"
