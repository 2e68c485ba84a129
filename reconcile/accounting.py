"""Account for every message of ``sensor.readings`` with what the job wrote, per UTC hour.

Each message of the readings topic is exactly one of:

- **rejected**: ``readings`` refuses it, judged at its broker timestamp like the job, or it
  lies outside every region; the job's ``stage: job`` records of the rejected topic must
  match these reason by reason (``stage: ingest`` records never reached the topic);
- **late**: a record of the late topic names it (same id, event time, place, temperature);
- **superseded**: a later version of its id, not late, replaced it (a duplicate or a correction);
- **winner**: the last version of its id that was not late; it must be counted once in
  both result tables, in its (hour, region).

The winners come from what the job wrote to the late topic, not from a replay of the
watermark, so a reconciliation checks the job instead of repeating its rules. Without
forgetting ids, once a copy of a version is too late every later copy of it is too late as
well (the watermark only grows, and a version stuck behind a too-old one stays stuck), so a
late record is matched with the *last* unmatched message carrying that version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from geo import RegionIndex
from oracle import SentMessage
from oracle.expected_outcome import Located, parse_and_locate
from readings import Rejection
from readings.regions import RegionLookup
from readings.timestamps import InvalidTimestamp, epoch_ms
from results.hours import as_utc, hour_of
from results.rows import ResultRow
from results.tables import RESULT_TABLES
from settings import ReadingRules

ByHour = defaultdict[datetime, Counter[str]]  # a count per region, per UTC hour start
NAMES_SHOWN = 5  # ids listed in a problem before "..."


class Version(NamedTuple):
    """What identifies one version of a reading in the late topic and in the readings topic."""

    id: str
    event_ms: int
    lat: float
    lon: float
    temperature: float


@dataclass(frozen=True)
class HourAccount:
    """One UTC hour: its messages (by their own event time) and where they went."""

    hour: datetime
    messages: int = 0
    superseded: int = 0
    late: int = 0
    winners: int = 0
    hourly: int = 0  # sum of ``readings`` in region_hourly_temperature
    history: int = 0  # the same in region_temperature_history
    unmatched_late: int = 0  # late records of the hour that name no message of the topic
    problems: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RejectionAccount:
    """One reason code: messages of the readings topic refused for it, and the records of the rejected topic."""

    reason: str
    topic: int = 0
    job: int = 0
    ingest: int = 0


class Totals(NamedTuple):
    """The run (or the hour asked for) in numbers: messages = rejected + superseded + late + winners."""

    messages: int
    rejected: int
    superseded: int
    late: int
    winners: int
    hourly: int
    history: int
    late_records: int
    rejected_job_records: int
    rejected_ingest_records: int


@dataclass(frozen=True)
class Reconciliation:
    """The report: hours in order, rejections by reason, and the problems that belong to no hour."""

    hours: tuple[HourAccount, ...]
    rejections: tuple[RejectionAccount, ...]
    problems: tuple[str, ...] = ()
    unreadable_late: int = 0  # late records without a readable version, so without an hour

    @property
    def balanced(self) -> bool:
        return not self.problems and all(hour.balanced for hour in self.hours)

    @property
    def unbalanced_hours(self) -> list[datetime]:
        return [hour.hour for hour in self.hours if not hour.balanced]

    @property
    def totals(self) -> Totals:
        def total(name: str) -> int:
            return sum(getattr(item, name) for item in self.hours)

        rejected = sum(item.topic for item in self.rejections)
        late = total("late")
        return Totals(
            messages=rejected + total("messages"),
            rejected=rejected,
            superseded=total("superseded"),
            late=late,
            winners=total("winners"),
            hourly=total("hourly"),
            history=total("history"),
            late_records=late + total("unmatched_late") + self.unreadable_late,
            rejected_job_records=sum(item.job for item in self.rejections),
            rejected_ingest_records=sum(item.ingest for item in self.rejections),
        )

    def for_hours(self, hours: Collection[datetime]) -> Reconciliation:
        """Only ``hours``: rejections belong to no hour, so they and the run-wide problems are left out."""
        return Reconciliation(tuple(item for item in self.hours if item.hour in hours), ())


def reconcile(
    messages: Iterable[SentMessage],
    rejected: Iterable[Mapping[str, Any]],
    late: Iterable[Mapping[str, Any]],
    tables: Mapping[str, Iterable[ResultRow]],
    rules: ReadingRules = ReadingRules(),
    regions: RegionLookup | None = None,
) -> Reconciliation:
    """The report for one run.

    ``messages``: the readings topic, each partition in offset order (partitions one after the
    other: all versions of an id share a partition, and the last one there wins). ``rejected``
    and ``late``: the decoded JSON values of the two dead-letter topics. ``tables``: every row
    of both result tables, by table name.
    """
    verdicts = parse_and_locate(list(messages), rules, regions or RegionIndex.default())
    located = [verdict for verdict in verdicts if type(verdict) is Located]
    late_left, unreadable = late_versions(late)
    is_late = [False] * len(located)
    for position in reversed(range(len(located))):
        version = version_of(located[position])
        if late_left[version]:
            late_left[version] -= 1
            is_late[position] = True
    winner_at = {item.reading.id: position for position, item in enumerate(located) if not is_late[position]}
    winning = set(winner_at.values())

    counts: ByHour = defaultdict(Counter)
    expected: ByHour = defaultdict(Counter)
    for position, item in enumerate(located):
        hour = hour_of(item.reading.event_time_ms)
        kind = "late" if is_late[position] else "winners" if position in winning else "superseded"
        counts[hour].update(("messages", kind))
        if kind == "winners":
            expected[hour][item.region] += 1
    hourly, history = (table_counts(tables[table]) for table in RESULT_TABLES)
    unmatched = unmatched_by_hour(late_left)
    accounts = tuple(
        hour_account(hour, counts[hour], expected[hour], hourly[hour], history[hour], unmatched[hour])
        for hour in sorted(set(counts) | set(hourly) | set(history) | set(unmatched))
    )
    rejections = rejection_accounts([v for v in verdicts if type(v) is Rejection], rejected)
    problems = [
        f"{item.reason}: {item.topic} messages of the readings topic rejected, {item.job} job records in the rejected topic"
        for item in rejections
        if item.topic != item.job
    ]
    if unreadable:
        problems.append(f"{unreadable} late records have no readable id, timestamp, lat, lon and temperature")
    return Reconciliation(accounts, rejections, tuple(problems), unreadable)


def version_of(item: Located) -> Version:
    reading = item.reading
    return Version(reading.id, reading.event_time_ms, reading.lat, reading.lon, reading.temperature)


def late_versions(records: Iterable[Mapping[str, Any]]) -> tuple[Counter[Version], int]:
    """How many late records name each version, and how many name none readably."""
    versions: Counter[Version] = Counter()
    unreadable = 0
    for record in records:
        try:
            versions[Version(
                str(record["id"]), epoch_ms(record["timestamp"], UTC),
                float(record["lat"]), float(record["lon"]), float(record["temperature"]),
            )] += 1  # fmt: skip
        except (KeyError, TypeError, ValueError, InvalidTimestamp):
            unreadable += 1
    return versions, unreadable


def table_counts(rows: Iterable[ResultRow]) -> ByHour:
    """The ``readings`` column, by hour then region."""
    counted: ByHour = defaultdict(Counter)
    for row in rows:
        counted[as_utc(row.hour)][row.region] += row.readings
    return counted


def unmatched_by_hour(late_left: Counter[Version]) -> defaultdict[datetime, list[str]]:
    """The ids of late records no message matched, by the hour of their event time."""
    ids: defaultdict[datetime, list[str]] = defaultdict(list)
    for version, left in sorted(late_left.items()):
        if left:
            ids[hour_of(version.event_ms)] += [version.id] * left
    return ids


def hour_account(
    hour: datetime,
    counts: Counter[str],
    expected: Counter[str],
    hourly: Counter[str],
    history: Counter[str],
    unmatched_ids: list[str],
) -> HourAccount:
    """One hour's numbers, with a problem per region whose tables disagree with its winners."""
    problems = [
        f"{region}: {expected[region]} winners, {RESULT_TABLES[0]} {hourly[region]}, {RESULT_TABLES[1]} {history[region]}"
        for region in sorted(expected.keys() | hourly.keys() | history.keys())
        if not expected[region] == hourly[region] == history[region]
    ]
    if unmatched_ids:
        shown = ", ".join(unmatched_ids[:NAMES_SHOWN]) + (", ..." if len(unmatched_ids) > NAMES_SHOWN else "")
        problems.append(f"{len(unmatched_ids)} late records (ids {shown}) match no message of the readings topic")
    return HourAccount(
        hour,
        messages=counts["messages"],
        superseded=counts["superseded"],
        late=counts["late"],
        winners=counts["winners"],
        hourly=sum(hourly.values()),
        history=sum(history.values()),
        unmatched_late=len(unmatched_ids),
        problems=tuple(problems),
    )


def rejection_accounts(
    refused: list[Rejection], records: Iterable[Mapping[str, Any]]
) -> tuple[RejectionAccount, ...]:
    """Per reason: the topic's refused messages and the rejected topic's records by stage.

    A record is the job's unless it says ``ingest``: only the poller writes ``ingest`` records.
    """
    topic = Counter(str(item.reason) for item in refused)
    stages: dict[str, Counter[str]] = {"job": Counter(), "ingest": Counter()}
    for record in records:
        stage = "ingest" if record.get("stage") == "ingest" else "job"
        stages[stage][str(record.get("reason", "(no reason)"))] += 1
    reasons = sorted(set(topic) | set(stages["job"]) | set(stages["ingest"]))
    return tuple(
        RejectionAccount(reason, topic[reason], stages["job"][reason], stages["ingest"][reason]) for reason in reasons
    )
