"""The version rules of PRODUCT.md section 3, and the keyed function that applies them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pyflink.common import Row, RowKind

from udfs.reading_versions import (
    HOUR_MS,
    LATE_READINGS,
    NO_WATERMARK,
    Outcome,
    ReadingVersions,
    Version,
    VersionRules,
    changes,
)

RULES = VersionRules(allowed_lateness_ms=3 * HOUR_MS, retention_ms=3 * HOUR_MS + 30_000)
T0 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS  # an hour boundary


def version(minutes: float, temperature: float = 20.0, region: str = "Bretagne") -> Version:
    return Version(int(T0 + minutes * 60_000), 48.1, -1.7, temperature, region)


@pytest.mark.parametrize(
    ("previous", "new", "watermark", "expected"),
    [
        (None, version(0), NO_WATERMARK, Outcome.NEW),
        (None, version(0), T0 + 2 * HOUR_MS, Outcome.NEW),
        (version(0), version(0), T0, Outcome.DUPLICATE),
        (version(0), version(0, 21.0), T0, Outcome.CORRECTION),
        (version(0), version(70, 21.0, "Normandie"), T0, Outcome.CORRECTION),
        (None, version(0), T0 + 3 * HOUR_MS + 1, Outcome.TOO_LATE),
        (version(0), version(200), T0 + 3 * HOUR_MS + 1, Outcome.REPLACES_TOO_LATE),
        (version(0), version(0), T0 + 3 * HOUR_MS + 1, Outcome.TOO_LATE),
        (version(0), version(1), T0 + 3 * HOUR_MS, Outcome.CORRECTION),
    ],
)
def test_judge(previous: Version | None, new: Version, watermark: int, expected: Outcome) -> None:
    assert RULES.judge(previous, new, watermark) is expected


def test_hour_is_the_utc_hour_start() -> None:
    assert version(59.99).hour_ms == T0
    assert version(60).hour_ms == T0 + HOUR_MS


def test_ids_are_forgotten_after_the_retention_on_a_minute_boundary() -> None:
    moment = RULES.forget_at(version(0))
    assert moment >= version(0).event_ms + RULES.retention_ms
    assert moment % 60_000 == 0


def test_a_correction_retracts_the_old_value_and_adds_the_new() -> None:
    old, new = version(0, 20.0), version(70, 22.0, "Normandie")
    rows = list(changes("r1", old, new, Outcome.CORRECTION, T0))
    assert [(row.get_row_kind(), tuple(row)) for row in rows] == [
        (RowKind.DELETE, (T0, "Bretagne", 20.0)),
        (RowKind.INSERT, (T0 + HOUR_MS, "Normandie", 22.0)),
    ]


def test_duplicates_change_nothing() -> None:
    assert list(changes("r1", version(0), version(0), Outcome.DUPLICATE, T0)) == []


@pytest.mark.parametrize("outcome", [Outcome.TOO_LATE, Outcome.REPLACES_TOO_LATE])
def test_too_late_versions_go_to_the_late_topic_with_the_watermark(outcome: Outcome) -> None:
    [(tag, row)] = list(changes("r1", version(0), version(5), outcome, T0 + 4 * HOUR_MS))
    assert tag is LATE_READINGS
    assert row[0] == "r1"
    value = json.loads(row[1])
    assert value["reason"] == "too_late"
    assert value["id"] == "r1"
    assert value["temperature"] == 20.0
    assert value["timestamp"] == "2023-11-14T22:05:00.000Z"
    assert value["watermark"] == "2023-11-15T02:00:00.000Z"


class FakeState:
    def __init__(self) -> None:
        self.stored = None

    def value(self):
        return self.stored

    def update(self, value) -> None:
        self.stored = value

    def clear(self) -> None:
        self.stored = None


class FakeCounter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        self.count += n


class FakeMetrics:
    def __init__(self) -> None:
        self.counters: dict[str, FakeCounter] = {}

    def add_group(self, name: str) -> "FakeMetrics":
        return self

    def counter(self, name: str) -> FakeCounter:
        return self.counters.setdefault(name, FakeCounter())


class FakeTimers:
    def __init__(self, watermark: int) -> None:
        self.watermark = watermark
        self.registered: list[int] = []

    def current_watermark(self) -> int:
        return self.watermark

    def register_event_time_timer(self, timestamp: int) -> None:
        self.registered.append(timestamp)


def opened_function() -> tuple[ReadingVersions, FakeState, FakeMetrics]:
    function = ReadingVersions(RULES)
    state, metrics = FakeState(), FakeMetrics()
    function.open(SimpleNamespace(get_state=lambda descriptor: state, get_metrics_group=lambda: metrics))
    return function, state, metrics


def message(minutes: float, temperature: float = 20.0, watermark: int | None = T0) -> Row:
    """A located reading as the versions step gets it, with its partition's watermark."""
    v = version(minutes, temperature)
    return Row(id="r1", event_ms=v.event_ms, lat=v.lat, lon=v.lon, temperature=v.temperature, region=v.region,
               watermark_ms=watermark)


def test_keyed_function_keeps_the_winner_and_counts_outcomes() -> None:
    function, state, metrics = opened_function()
    timers = FakeTimers(T0)
    ctx = SimpleNamespace(timer_service=lambda: timers)
    assert [r.get_row_kind() for r in function.process_element(message(0), ctx)] == [RowKind.INSERT]
    assert list(function.process_element(message(0), ctx)) == []
    corrected = list(function.process_element(message(10, 25.0), ctx))
    assert [r.get_row_kind() for r in corrected] == [RowKind.DELETE, RowKind.INSERT]
    assert Version(*state.value()).temperature == 25.0
    [(tag, _)] = list(function.process_element(message(20, 30.0, T0 + 5 * HOUR_MS), ctx))
    assert tag is LATE_READINGS
    assert {name: c.count for name, c in metrics.counters.items() if c.count} == {
        "versions_new": 1, "versions_duplicate": 1, "versions_correction": 1, "versions_too_late": 1,
    }
    assert timers.registered == [RULES.forget_at(version(0)), RULES.forget_at(version(10))]


def test_a_message_without_a_partition_watermark_is_never_late() -> None:
    function, state, _ = opened_function()
    ctx = SimpleNamespace(timer_service=lambda: FakeTimers(T0 + 9 * HOUR_MS))  # Flink's own is not used
    [row] = list(function.process_element(message(0, watermark=None), ctx))
    assert row.get_row_kind() == RowKind.INSERT and state.value() is not None


def test_timer_forgets_only_the_version_it_was_set_for() -> None:
    function, state, _ = opened_function()
    state.update(Row(*version(60)))
    list(function.on_timer(RULES.forget_at(version(0)), None))
    assert state.value() is not None
    list(function.on_timer(RULES.forget_at(version(60)), None))
    assert state.value() is None
