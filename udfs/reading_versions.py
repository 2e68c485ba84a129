"""Deduplicate and version readings by id: the last version wins, within the allowed lateness.

Runs keyed by reading id. For each id it remembers the winning version and turns every new
message into changes of the hourly means: a new reading adds one value, a correction retracts
the old value (from its hour and region) and adds the new one, an exact duplicate changes
nothing, and a version that comes too late changes nothing and goes to the late topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Iterator, NamedTuple

from pyflink.common import Row, RowKind, Types
from pyflink.datastream import KeyedProcessFunction, OutputTag, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

HOUR_MS = 3_600_000
NO_WATERMARK = -(2**63)

# What the aggregation consumes: one row per counted value, retracted with a DELETE row.
CONTRIBUTION = Types.ROW_NAMED(["hour_ms", "region", "temperature"], [Types.LONG(), Types.STRING(), Types.DOUBLE()])
LATE_RECORD = Types.ROW_NAMED(["late_key", "late_value"], [Types.STRING(), Types.STRING()])
LATE_READINGS = OutputTag("late-readings", LATE_RECORD)
VERSION_STATE = Types.ROW_NAMED(
    ["event_ms", "lat", "lon", "temperature", "region"],
    [Types.LONG(), Types.DOUBLE(), Types.DOUBLE(), Types.DOUBLE(), Types.STRING()],
)


class Version(NamedTuple):
    event_ms: int
    lat: float
    lon: float
    temperature: float
    region: str

    @property
    def hour_ms(self) -> int:
        return self.event_ms - self.event_ms % HOUR_MS


class Outcome(Enum):
    NEW = "new"
    CORRECTION = "correction"
    DUPLICATE = "duplicate"
    TOO_LATE = "too_late"
    REPLACES_TOO_LATE = "replaces_too_late"


@dataclass(frozen=True)
class VersionRules:
    allowed_lateness_ms: int
    retention_ms: int

    def judge(self, previous: Version | None, new: Version, watermark_ms: int) -> Outcome:
        """PRODUCT.md section 3: what one new version of a reading does to the means."""
        if watermark_ms != NO_WATERMARK:
            horizon = watermark_ms - self.allowed_lateness_ms
            if new.event_ms < horizon:
                return Outcome.TOO_LATE
            if previous is not None and previous.event_ms < horizon:
                return Outcome.REPLACES_TOO_LATE
        if previous is None:
            return Outcome.NEW
        return Outcome.DUPLICATE if previous == new else Outcome.CORRECTION

    def forget_at(self, version: Version) -> int:
        """Event time after which the id may be forgotten, rounded up to a minute to share timers."""
        moment = version.event_ms + self.retention_ms
        return moment - moment % 60_000 + 60_000


def contribution(version: Version, kind: RowKind) -> Row:
    row = Row(version.hour_ms, version.region, version.temperature)
    row.set_row_kind(kind)
    return row


def late_record(reading_id: str, version: Version, watermark_ms: int, outcome: Outcome) -> Row:
    """The value of ``sensor.readings.late``: the reading, the watermark that judged it, why."""
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    value = {
        "id": reading_id,
        "timestamp": iso(version.event_ms),
        "lat": version.lat,
        "lon": version.lon,
        "temperature": version.temperature,
        "region": version.region,
        "watermark": iso(watermark_ms),
        "reason": "too_late",
        "detail": "its event time is older than watermark minus allowed lateness"
        if outcome is Outcome.TOO_LATE
        else "the version it would replace is older than watermark minus allowed lateness",
    }
    return Row(reading_id, json.dumps(value))


def changes(reading_id: str, previous: Version | None, new: Version, outcome: Outcome, watermark_ms: int) -> Iterator:
    """The rows one outcome emits: contributions to the main output, late records to the side."""
    if outcome in (Outcome.TOO_LATE, Outcome.REPLACES_TOO_LATE):
        yield LATE_READINGS, late_record(reading_id, new, watermark_ms, outcome)
    elif outcome is Outcome.CORRECTION:
        yield contribution(previous, RowKind.DELETE)
        yield contribution(new, RowKind.INSERT)
    elif outcome is Outcome.NEW:
        yield contribution(new, RowKind.INSERT)


class ReadingVersions(KeyedProcessFunction):
    """The Flink shell over ``VersionRules``: keyed state of the winning version, event-time cleanup."""

    def __init__(self, rules: VersionRules) -> None:
        self.rules = rules

    def open(self, runtime_context: RuntimeContext) -> None:
        self.winner = runtime_context.get_state(ValueStateDescriptor("winning-version", VERSION_STATE))
        metrics = runtime_context.get_metrics_group().add_group("iot")
        self.counters = {outcome: metrics.counter(f"versions_{outcome.value}") for outcome in Outcome}

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context) -> Iterator:
        stored = self.winner.value()
        previous = Version(*stored) if stored is not None else None
        new = Version(value.event_ms, value.lat, value.lon, value.temperature, value.region)
        # The partition's watermark (see with_partition_watermark): Flink's own restarts from nothing.
        watermark = NO_WATERMARK if value.watermark_ms is None else value.watermark_ms
        outcome = self.rules.judge(previous, new, watermark)
        self.counters[outcome].inc()
        if outcome in (Outcome.NEW, Outcome.CORRECTION):
            self.winner.update(Row(*new))
            ctx.timer_service().register_event_time_timer(self.rules.forget_at(new))
        yield from changes(value.id, previous, new, outcome, watermark)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator:
        stored = self.winner.value()
        if stored is not None and self.rules.forget_at(Version(*stored)) <= timestamp:
            self.winner.clear()
        return iter(())
