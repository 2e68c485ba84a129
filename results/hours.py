"""The hour of a result: the UTC hour start, as the tables' ``hour`` column and the job's ``hour_ms``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from readings.timestamps import EPOCH

HOUR_MS = 3_600_000


def hour_of(epoch_ms: int) -> datetime:
    """The aware UTC start of the hour holding ``epoch_ms`` (exact: no float on the way)."""
    return EPOCH + timedelta(milliseconds=epoch_ms - epoch_ms % HOUR_MS)


def hour_text(hour: datetime) -> str:
    """``2019-04-28 04:00`` in UTC; a naive ``hour`` is UTC, as the driver returns it."""
    return f"{as_utc(hour):%Y-%m-%d %H:%M}"


def as_utc(moment: datetime) -> datetime:
    """cassandra-driver returns ``timestamp`` columns as naive UTC datetimes."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
