"""The plan of a backfill: which archived messages it replays, and which hours and days it copies.

The oracle plays the job: replaying only what the plan picks from an archive must give the hours
asked the rows the whole stream gave them, and a window without the plan's lead must not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from archive.reads import archived_messages
from backfill.plan import BackfillPlan, PlanError, backfill_plan, replayed, whole_days
from oracle import ExpectedRow, SentMessage, expected_outcome
from reconcile.window import KafkaWindow, kafka_window
from results.hours import hour_of
from settings import JobSettings, ReadingRules
from tests.backfill.archive_files import write_archive
from tests.support.messages import BASE, CAEN, RENNES, ms, reading

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
RULES, JOB = ReadingRules(), JobSettings()
LATER = BASE + 30 * HOUR  # "now" for the plans: every hour of the stream is past


def stream() -> list[SentMessage]:
    """Sixteen hours of readings each appended a minute after its event time, with a correction that
    moves a reading of hour 10 to hour 11 an hour later, one that changes a reading of hour 7 (the
    "three hours before" of hour 10) three hours later, a copy of a reading of hour 9 replayed too
    late at hour 14, and a broken message."""
    messages = [reading(f"r{minute}", minute, minute / 20, RENNES if minute % 12 else CAEN,
                        judged_at=BASE + (minute + 1) * MINUTE) for minute in range(0, 16 * 60, 6)]  # fmt: skip
    messages.append(reading("r606", 666, 40.0, CAEN, judged_at=BASE + 11 * HOUR + 10 * MINUTE))  # hour 10 -> 11
    messages.append(reading("r432", 432, -5.0, RENNES, judged_at=BASE + 10 * HOUR + 15 * MINUTE))  # hour 7 changed
    messages.append(reading("r546", 546, 27.3, RENNES, judged_at=BASE + 14 * HOUR))  # too late
    messages.append(SentMessage(b"{not json", ms(BASE + 10 * HOUR + 20 * MINUTE)))
    return sorted(messages, key=lambda message: message.judged_at_ms)


def replayed_messages(path: Path, plan: BackfillPlan) -> list[SentMessage]:
    chosen = replayed(archived_messages(path, plan.first_event_hour, plan.last_event_hour), plan.window)
    return [SentMessage(row["payload"], row["kafka_timestamp"].timestamp() * 1000 // 1, row["kafka_partition"])
            for row in chosen.to_pylist()]  # fmt: skip


def rows_of(messages: list[SentMessage], hours: list[datetime]) -> list[ExpectedRow]:
    return [row for row in expected_outcome(messages).rows if row.hour in hours]


@pytest.mark.parametrize("first, last", [(10, 11), (7, 7), (13, 15)])
def test_replaying_what_the_plan_picks_gives_the_hours_the_whole_streams_rows(tmp_path: Path, first: int, last: int) -> None:
    messages = stream()
    write_archive(messages, tmp_path)
    plan = backfill_plan(BASE + first * HOUR, BASE + last * HOUR, LATER, RULES, JOB)
    picked = replayed_messages(tmp_path, plan)
    assert len(picked) < len(messages)  # a window, not the whole archive
    assert rows_of(picked, plan.hours) == rows_of(messages, plan.hours) != []


def test_without_the_lead_the_hour_three_hours_before_is_partial(tmp_path: Path) -> None:
    messages = stream()
    write_archive(messages, tmp_path)
    plan = backfill_plan(BASE + 10 * HOUR, BASE + 10 * HOUR, LATER, RULES, JOB)
    short = plan._replace(window=kafka_window(BASE + 10 * HOUR, BASE + 10 * HOUR, RULES, JOB))
    whole = rows_of(messages, plan.hours)
    partial = rows_of(replayed_messages(tmp_path, short), plan.hours)
    assert [row.mean_temperature for row in partial] == [row.mean_temperature for row in whole]
    assert [row.mean_temperature_3h_before for row in partial] != [row.mean_temperature_3h_before for row in whole]


def test_the_window_opens_three_hours_and_the_lateness_before_and_the_event_hours_reach_past_it() -> None:
    plan = backfill_plan(BASE, BASE + 2 * HOUR, LATER, ReadingRules(future_margin_seconds=600), JobSettings())
    assert plan.hours == [BASE, BASE + HOUR, BASE + 2 * HOUR]
    lead = 3 * HOUR + timedelta(hours=3, seconds=30)
    assert plan.window == kafka_window(BASE - lead, BASE + 2 * HOUR, ReadingRules(), JobSettings())
    assert plan.window.since_ms == ms(BASE - lead - 10 * MINUTE)
    # Event times from the lateness and out-of-orderness before the window to the future margin after it.
    assert plan.first_event_hour == hour_of(plan.window.since_ms - (3 * 3600 + 30) * 1000) == BASE - 10 * HOUR
    assert plan.last_event_hour == hour_of(plan.window.until_ms - 1 + 600_000)


def test_hours_in_the_future_or_backwards_are_refused() -> None:
    now = BASE + 30 * MINUTE
    assert backfill_plan(BASE, BASE, now, RULES, JOB).hours == [BASE]  # the current hour is not the future
    with pytest.raises(PlanError, match="is in the future"):
        backfill_plan(BASE, BASE + HOUR, now, RULES, JOB)
    with pytest.raises(ValueError, match="is before the first"):
        backfill_plan(BASE + HOUR, BASE, LATER, RULES, JOB)


def test_the_window_keeps_its_start_and_leaves_its_end() -> None:
    stamps = [999, 1000, 1999, 2000]
    table = pa.table({"kafka_timestamp": pa.array([stamp * 1_000_000 for stamp in stamps], pa.timestamp("ns")),
                      "kafka_offset": pa.array(range(4), pa.int64())})  # fmt: skip
    assert replayed(table, KafkaWindow(1000, 2000))["kafka_offset"].to_pylist() == [1, 2]


def test_only_days_whose_24_hours_are_asked_are_whole() -> None:
    midnight = datetime(2026, 12, 4, tzinfo=UTC)
    day = [midnight + HOUR * step for step in range(24)]
    assert whole_days(day) == [midnight]
    assert whole_days(day[1:]) == []
    assert whole_days([midnight - HOUR, *day, midnight + 24 * HOUR]) == [midnight]
