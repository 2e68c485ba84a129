"""The hour a person asks for: a UTC hour start, like the tables' partition key (shown by ``results.hours``)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_hour(text: str) -> datetime:
    """The aware UTC hour start for ``'2019-04-28 04'`` (the brief's form) or any ISO-8601 hour.

    Naive times are UTC, as stored; a time with an offset is converted. A bare date or a time
    inside an hour is refused rather than silently rounded.
    """
    text = text.strip()
    usage = f"{text!r} is not an hour: use 'YYYY-MM-DD HH' in UTC, e.g. '2019-04-28 04'"
    if len(text) <= len("2019-04-28"):
        raise ValueError(usage)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(usage) from None
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # an offset that pushes year 1 or year 9999 out of the calendar
        raise ValueError(f"{text!r} is not an hour between years 1 and 9999 in UTC") from None
    if (moment.minute, moment.second, moment.microsecond) != (0, 0, 0):
        raise ValueError(f"{text!r} is not the start of an hour: hours are [HH:00, HH+1:00) in UTC")
    return moment

