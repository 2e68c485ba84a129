"""Which archived messages a backfill of some hours replays, and which hours (and days) it may copy.

The Kafka window is the reconciliation's (``reconcile.window``), opened earlier by the hour the
"three hours before" column reads and by the allowed lateness and out-of-orderness: so each
partition's watermark, and the earlier versions of those hours' readings, are established
before the first message that counts in them. Only the hours asked are copied: the hours at the
edges of the window are partial.

The archive is partitioned by event hour, not Kafka time. A message of the window that can
change an hour asked has an event time from the window's start minus the allowed lateness and
out-of-orderness (anything older is too late against a watermark that has reached the hours, or
is a version of another hour the hours do not show) to the window's end plus the future margin
(anything later was rejected ``future_timestamp``, and archived under ``none``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from readings.timestamps import EPOCH, ONE_MS
from reconcile.window import HOUR, KafkaWindow, hours_between, kafka_window
from results.daily import DAY_MS
from results.hours import hour_of
from settings import JobSettings, ReadingRules

# The hour whose mean the "three hours before" column of an hour shows.
THREE_HOURS = timedelta(hours=3)
DAY = timedelta(milliseconds=DAY_MS)


class PlanError(ValueError):
    """Hours no backfill can recompute; the message says why, on one line."""


class BackfillPlan(NamedTuple):
    hours: list[datetime]  # the hours asked, which are copied
    window: KafkaWindow  # the Kafka time of the messages replayed
    first_event_hour: datetime  # the archive's event hours read
    last_event_hour: datetime


def backfill_plan(first: datetime, last: datetime, now: datetime, rules: ReadingRules, job: JobSettings) -> BackfillPlan:
    """The plan for the UTC hours ``first`` to ``last`` (aware hour starts); PlanError for hours in the future."""
    hours = hours_between(first, last)
    if last > hour_of((now - EPOCH) // ONE_MS):
        raise PlanError(f"the hour {last:%Y-%m-%d %H}:00 is in the future (now {now:%Y-%m-%d %H:%M} UTC)")
    lead = THREE_HOURS + timedelta(seconds=job.allowed_lateness_seconds + job.out_of_orderness_seconds)
    window = kafka_window(first - lead, last, rules, job)
    judged = (job.allowed_lateness_seconds + job.out_of_orderness_seconds) * 1000
    margin = round(rules.future_margin_seconds * 1000)
    return BackfillPlan(hours, window, hour_of(window.since_ms - judged), hour_of(window.until_ms - 1 + margin))


def replayed(messages: pa.Table, window: KafkaWindow) -> pa.Table:
    """The archived ``messages`` whose Kafka timestamp is in ``window``, their order kept."""
    stamps = pc.cast(messages["kafka_timestamp"], pa.timestamp("ms"), safe=False)
    since = pa.scalar(window.since_ms, pa.timestamp("ms"))
    until = pa.scalar(window.until_ms, pa.timestamp("ms"))
    return messages.filter(pc.and_(pc.greater_equal(stamps, since), pc.less(stamps, until)))


def whole_days(hours: list[datetime]) -> list[datetime]:
    """The UTC days (midnights) all 24 of whose hours are among ``hours``: the daily rows a backfill may copy."""
    asked = set(hours)
    midnights = sorted({hour - timedelta(hours=hour.hour) for hour in hours})
    return [day for day in midnights if all(day + HOUR * step in asked for step in range(24))]
