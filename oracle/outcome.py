"""What the oracle takes in and gives back: sent messages, and the rows and records they should produce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from readings import Reading, Rejection


class SentMessage(NamedTuple):
    """One message of ``sensor.readings`` in production order, with its Kafka record timestamp.

    ``judged_at_ms`` is the clock ``future_timestamp`` is judged against (the job uses the
    record's timestamp, the broker's append time, not its own clock nor the producer's, so a
    replay reaches the same verdicts); lateness is
    judged against the watermark of the message's Kafka ``partition``.
    """

    value: bytes
    judged_at_ms: int
    partition: int = 0


class ExpectedRow(NamedTuple):
    """One row of both result tables (docs/contract.md §4.1); ``hour`` is an aware UTC hour start."""

    hour: datetime
    region: str
    mean_temperature: float
    readings: int
    mean_temperature_3h_before: float | None


class ExpectedLate(NamedTuple):
    """One record of ``sensor.readings.late``: the version that came too late and the watermark that judged it."""

    reading: Reading
    region: str
    watermark_ms: int
    # False: its own event time is too late; True: only the version it would replace is.
    replaced_version_too_late: bool


@dataclass(frozen=True)
class ExpectedOutcome:
    """Everything a run over the messages must leave behind, each in production order (rows sorted)."""

    rows: tuple[ExpectedRow, ...]
    late: tuple[ExpectedLate, ...]
    rejected: tuple[Rejection, ...]
