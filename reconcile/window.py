"""Which stretch of Kafka time holds every message a reconciliation of some hours must see.

Kafka timestamps are the broker's append time (``LogAppendTime``, docs/contract.md §2.2), so a
message's place in a partition follows its Kafka time. A reading of hour H can be appended

- from H minus the future margin on: the job rejects a reading more than
  ``IOT_RULES_FUTURE_MARGIN_SECONDS`` ahead of its Kafka timestamp (``future_timestamp``), so
  an earlier append of it is no message of H's accounting but a rejection;
- until long after H: a reading, a duplicate or a correction can arrive at any time. Once the
  watermark of its partition is past H's end plus the id retention (allowed lateness +
  out-of-orderness + the extra retention), it changes nothing in H: it is too late (the late
  topic) or names a forgotten id (§3.5). The watermark follows the partition's newest event
  time, which on a live pipeline trails the broker's clock by the ingestion delay; ``SETTLE``
  covers that and the job's lag before it writes the late record.

So the window is [first hour - future margin, last hour end + id retention + settle). The
late topic is read over the same window: a late record is appended after the message it
names (the job judges a message once the broker has it), and with the settle margin before
the window closes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from readings.timestamps import EPOCH, ONE_MS
from settings import JobSettings, ReadingRules

HOUR = timedelta(hours=1)
# Ingestion delay plus the job's lag (a checkpoint commits the late records): far more than both.
SETTLE = timedelta(hours=1)


class KafkaWindow(NamedTuple):
    """[since_ms, until_ms) in epoch milliseconds of Kafka time."""

    since_ms: int
    until_ms: int


def hours_between(first: datetime, last: datetime) -> list[datetime]:
    """Every UTC hour start from ``first`` to ``last``, both included; a range backwards is refused."""
    if last < first:
        raise ValueError(f"the last hour ({last:%Y-%m-%d %H}) is before the first ({first:%Y-%m-%d %H})")
    return [first + HOUR * step for step in range(int((last - first) / HOUR) + 1)]


def kafka_window(first: datetime, last: datetime, rules: ReadingRules, job: JobSettings) -> KafkaWindow:
    """The Kafka time whose messages decide the hours ``first`` to ``last`` (aware UTC hour starts)."""
    after = HOUR + timedelta(milliseconds=job.id_retention_ms) + SETTLE
    # In milliseconds, not datetimes: year 1 minus the margin has no datetime.
    return KafkaWindow(
        (first - EPOCH) // ONE_MS - round(rules.future_margin_seconds * 1000), (last - EPOCH + after) // ONE_MS
    )
