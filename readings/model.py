"""What validation turns a message into: a ``Reading`` or a ``Rejection``.

Named tuples rather than dataclasses: the job builds one per message, and a tuple is the
cheapest immutable record Python has.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from readings.reasons import Reason


class Reading(NamedTuple):
    """A reading that passed every rule of docs/contract.md §1.2 (region aside)."""

    id: str
    event_time_ms: int  # UTC epoch milliseconds
    lat: float
    lon: float
    temperature: float
    raw: str  # the message text as received

    @property
    def event_time(self) -> datetime:
        return datetime.fromtimestamp(self.event_time_ms / 1000, tz=UTC)


class Rejection(NamedTuple):
    """Why a message is not a reading, with its original text so nothing is lost."""

    reason: Reason
    detail: str
    raw: str
    reading_id: str | None = None  # the Kafka key of the rejected record, when the id is usable
