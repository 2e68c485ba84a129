"""The copy: the recomputed rows of the hours (and days) asked, from the scratch keyspace into the target tables.

Within an hour or a day the recomputed rows are the answer: a row that differs is upserted, a
stored row the recomputation does not have (its readings went to another hour, or were
corrections of nothing) is deleted, a row equal to the stored one but for ``updated_at`` and the
last digits of its means is left alone. Each change of the hourly tables also goes to the results topic, as the job's writer
sends it (``results.records``), so the topic keeps mirroring the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from kafka import KafkaProducer

from results.daily import DailyRow, DailyTable
from results.reads import ResultTables
from results.records import record_key, record_value
from results.rows import ResultRow
from results.writes import HourlyMeansTables
from settings import Settings

Row = TypeVar("Row", ResultRow, DailyRow)


class Changes(NamedTuple, Generic[Row]):
    """What a copy does to one hour or day of the target: rows to upsert, regions whose row goes, rows left as they are."""

    upserts: list[Row]
    deletes: list[str]
    unchanged: int


# Means are sums of doubles, which the replay may add in another order than the stream did: values
# this close are the same.
SAME_VALUE = 1e-9


def same(row: Row, other: Row | None) -> bool:
    """Equal but for ``updated_at`` and the last digits of a mean."""
    if other is None:
        return False
    pairs = zip(row._replace(updated_at=None), other._replace(updated_at=None), strict=True)
    return all(math.isclose(a, b, rel_tol=SAME_VALUE) if isinstance(a, float) and isinstance(b, float) else a == b
               for a, b in pairs)


def changes(recomputed: Sequence[Row], stored: Sequence[Row]) -> Changes[Row]:
    """The writes that make ``stored`` (one hour or day of the target) equal ``recomputed``, ``updated_at`` aside."""
    before = {row.region: row for row in stored}
    upserts = [row for row in recomputed if not same(row, before.get(row.region))]
    regions = {row.region for row in recomputed}
    deletes = sorted(region for region in before if region not in regions)
    return Changes(upserts, deletes, len(recomputed) - len(upserts))


def copy_hours(session: Any, settings: Settings, scratch_keyspace: str,
               hours: list[datetime]) -> dict[datetime, Changes[ResultRow]]:
    """Copy ``hours`` from ``scratch_keyspace`` into both results tables of ``settings``' keyspace and
    the results topic; returns what changed per hour."""
    scratch = ResultTables(session, scratch_keyspace)
    target = ResultTables(session, settings.cassandra.keyspace)
    writes = HourlyMeansTables(session, settings.cassandra.keyspace)
    producer = KafkaProducer(acks="all", **settings.kafka.client_options())
    done: dict[datetime, Changes[ResultRow]] = {}
    try:
        for hour in hours:
            change = changes(scratch.hour(hour), target.hour(hour))
            for row in change.upserts:
                writes.upsert(row.hour, row.region, row.mean_temperature, row.readings, row.mean_temperature_3h_before,
                              row.updated_at)
                producer.send(settings.kafka.results_topic, key=record_key(row.hour, row.region).encode(),
                              value=record_value(row).encode())
            for region in change.deletes:
                writes.delete(hour, region)
                producer.send(settings.kafka.results_topic, key=record_key(hour, region).encode(), value=None)
            done[hour] = change
        producer.flush(timeout=60)
    finally:
        producer.close()
    return done


def copy_days(session: Any, target_keyspace: str, scratch_keyspace: str,
              days: list[datetime]) -> dict[datetime, Changes[DailyRow]]:
    """Copy the daily rows of ``days`` (UTC midnights) from ``scratch_keyspace`` into the daily table of ``target_keyspace``."""
    scratch, target = DailyTable(session, scratch_keyspace), DailyTable(session, target_keyspace)
    done: dict[datetime, Changes[DailyRow]] = {}
    for day in days:
        change = changes(scratch.day(day), target.day(day))
        for row in change.upserts:
            target.upsert(row)
        for region in change.deletes:
            target.delete(day, region)
        done[day] = change
    return done

