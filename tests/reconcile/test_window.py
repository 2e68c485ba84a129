"""The Kafka window of some hours: its bounds, and that reconciling only what it holds reaches the
whole run's verdicts for those hours (pure logic: the oracle plays the job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndTimestamp

from infra.topic_reader import offsets_at
from oracle import SentMessage, expected_outcome
from oracle.outcome import ExpectedLate
from reconcile import HourAccount, Reconciliation, reconcile
from reconcile.window import SETTLE, KafkaWindow, hours_between, kafka_window
from results.rows import ResultRow
from results.tables import RESULT_TABLES
from settings import JobSettings, ReadingRules
from tests.reconcile.records import HOUR
from tests.support.messages import BASE, CAEN, RENNES, ms, reading

MINUTE = timedelta(minutes=1)


def test_the_window_runs_from_the_future_margin_before_to_the_id_retention_and_settle_after() -> None:
    window = kafka_window(BASE, BASE + HOUR, ReadingRules(future_margin_seconds=600), JobSettings())
    retention = timedelta(hours=3, seconds=30)  # allowed lateness + out-of-orderness
    assert window == KafkaWindow(ms(BASE - 10 * MINUTE), ms(BASE + 2 * HOUR + retention + SETTLE))


def test_the_window_follows_the_job_settings() -> None:
    longer = kafka_window(BASE, BASE, ReadingRules(), JobSettings(id_retention_extra_seconds=86400))
    assert longer.until_ms - kafka_window(BASE, BASE, ReadingRules(), JobSettings()).until_ms == 86400 * 1000


def test_the_first_hour_of_the_calendar_has_a_window() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    window = kafka_window(first, first, ReadingRules(future_margin_seconds=1), JobSettings())
    assert window.since_ms == (first - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1) - 1000


def test_hours_between_includes_both_ends_and_refuses_a_backward_range() -> None:
    assert hours_between(BASE, BASE + 2 * HOUR) == [BASE, BASE + HOUR, BASE + 2 * HOUR]
    assert hours_between(BASE, BASE) == [BASE]
    with pytest.raises(ValueError, match="is before the first"):
        hours_between(BASE + HOUR, BASE)


def test_offsets_found_by_time_are_capped_at_the_end_and_a_partition_without_such_a_record_starts_at_its_end() -> None:
    p0, p1, p2 = (TopicPartition("t", number) for number in range(3))
    found = {p0: OffsetAndTimestamp(5, 100, None), p1: None, p2: OffsetAndTimestamp(9, 100, None)}
    assert offsets_at(found, {p0: 7, p1: 4, p2: 8}) == {p0: 5, p1: 4, p2: 8}


def steady_stream() -> list[SentMessage]:
    """Eight hours of readings each appended a minute after its event time, with what makes a window
    hard: a correction that moves a reading of hour 2 to hour 3, 90 minutes later; copies replayed
    too late, one inside the window of hour 1 and one after that of hour 2; and a reading appended
    9 minutes before its event time (the future margin lets it in)."""
    messages = []
    for minute in range(0, 8 * 60, 6):
        place = RENNES if minute % 12 else CAEN
        messages.append(reading(f"r{minute}", minute, minute / 10, place, judged_at=BASE + (minute + 1) * MINUTE))
    messages.append(reading("early", 125, 7.0, judged_at=BASE + 116 * MINUTE))
    messages.append(reading("r120", 185, 30.0, CAEN, judged_at=BASE + 210 * MINUTE))  # the correction
    messages.append(reading("r66", 66, 6.6, CAEN, judged_at=BASE + 5 * HOUR + 50 * MINUTE))  # replayed, too late
    messages.append(reading("r126", 126, 12.6, RENNES, judged_at=BASE + 7 * HOUR + 30 * MINUTE))  # the same
    return sorted(messages, key=lambda message: message.judged_at_ms)


def late_with_times(messages: list[SentMessage]) -> list[tuple[int, ExpectedLate]]:
    """Each late record the job writes, with the Kafka time of the message it names (it is written just after)."""
    found: list[tuple[int, ExpectedLate]] = []
    for end in range(1, len(messages) + 1):
        late = expected_outcome(messages[:end]).late
        found += [(messages[end - 1].judged_at_ms, record) for record in late[len(found):]]
    return found


def late_value(record: ExpectedLate) -> dict[str, object]:
    reading_ = record.reading
    moment = datetime.fromtimestamp(reading_.event_time_ms / 1000, UTC)
    return {"id": reading_.id, "timestamp": f"{moment:%Y-%m-%dT%H:%M:%S}.000Z", "lat": reading_.lat, "lon": reading_.lon,
            "temperature": reading_.temperature, "region": record.region, "reason": "too_late"}  # fmt: skip


def reconciled(messages: list[SentMessage], late: list[tuple[int, ExpectedLate]], window: KafkaWindow | None) -> Reconciliation:
    """What ``iot-reconcile`` finds in the topics (whole, or only ``window``), the tables being the job's."""
    def inside(kafka_ms: int) -> bool:
        return window is None or window.since_ms <= kafka_ms < window.until_ms

    rows = [ResultRow(row.hour, row.region, row.mean_temperature, row.readings, row.mean_temperature_3h_before, None)
            for row in expected_outcome(messages).rows]  # fmt: skip
    return reconcile(
        [message for message in messages if inside(message.judged_at_ms)], [],
        [late_value(record) for kafka_ms, record in late if inside(kafka_ms)],
        dict.fromkeys(RESULT_TABLES, rows),
    )  # fmt: skip


@pytest.mark.parametrize("hours", [[BASE + 2 * HOUR], [BASE + HOUR, BASE + 2 * HOUR, BASE + 3 * HOUR], [BASE]])
def test_the_window_of_some_hours_reaches_the_whole_runs_verdicts_for_them(hours: list[datetime]) -> None:
    messages = steady_stream()
    late = late_with_times(messages)
    assert [record.reading.id for _, record in late] == ["r66", "r126"]  # the stream has what it claims
    window = kafka_window(hours[0], hours[-1], ReadingRules(), JobSettings())
    whole = reconciled(messages, late, None).for_hours(set(hours))
    windowed = reconciled(messages, late, window).for_hours(set(hours))
    assert whole.balanced and windowed.balanced and len(whole.hours) == len(hours)
    assert [verdicts(hour) for hour in windowed.hours] == [verdicts(hour) for hour in whole.hours]
    # Only too-late copies appended after the window go unseen, their message and record alike.
    assert [(hour.messages - hour.late) for hour in windowed.hours] == [(hour.messages - hour.late) for hour in whole.hours]


def verdicts(hour: HourAccount) -> tuple[object, ...]:
    return hour.hour, hour.superseded, hour.winners, hour.hourly, hour.history, hour.unmatched_late, hour.problems


def test_a_window_that_ends_before_the_correction_misses_it_so_the_settle_margin_matters() -> None:
    messages = steady_stream()
    late = late_with_times(messages)
    middle = {BASE + 2 * HOUR}
    short = KafkaWindow(ms(BASE + 2 * HOUR - 10 * MINUTE), ms(BASE + 3 * HOUR))
    assert not reconciled(messages, late, short).for_hours(middle).balanced
