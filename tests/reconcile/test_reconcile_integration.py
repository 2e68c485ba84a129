"""``iot-reconcile`` on the real stack: a run of the end-to-end dataset balances, and a deleted row shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from infra.topic_reader import read_partitions
from oracle import diff_tables, expected_outcome
from reconcile import Totals
from reconcile.cli import main
from reconcile.sources import reconcile_run
from results.session import connect
from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.dataset import build, reading

pytestmark = pytest.mark.services


@pytest.fixture
def run(stack: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineRun]:
    """A run of its own; the environment names it, so ``main()`` reconciles this run."""
    pipeline = PipelineRun.create()
    for name, value in pipeline.env.items():
        if name.startswith("IOT_"):
            monkeypatch.setenv(name, value)
    yield pipeline
    pipeline.cancel()
    pipeline.drop()


def delete_row(run: PipelineRun, hour: datetime, region: str) -> None:
    session = connect(run.settings.cassandra, keyspace=run.settings.cassandra.keyspace)
    try:
        session.execute(session.prepare("DELETE FROM region_hourly_temperature WHERE hour = ? AND region = ?"), (hour, region))
    finally:
        session.cluster.shutdown()


def test_a_run_balances_until_a_row_goes_missing(run: PipelineRun, capsys: pytest.CaptureFixture) -> None:
    data = build(datetime.now(UTC))
    run.submit()
    sent = run.produce(data.phase_a)
    expected = expected_outcome(sent)
    wait_for("the tables to equal the oracle", lambda: diff_tables(expected, run.table_rows()), lambda diff: not diff, 180)

    # The rejected records are committed with the job's next checkpoint, a few seconds after the rows.
    report = wait_for("the run to balance", lambda: reconcile_run(run.settings), lambda found: found.balanced, 60)
    winners = sum(row.readings for row in expected.rows)
    rejected = len(expected.rejected)
    assert expected.late == ()
    assert report.totals == Totals(
        messages=len(sent), rejected=rejected, superseded=len(sent) - rejected - winners, late=0, winners=winners,
        hourly=winners, history=winners, late_records=0, rejected_job_records=rejected, rejected_ingest_records=0,
    )  # fmt: skip
    assert [hour.hour for hour in report.hours] == sorted({row.hour for row in expected.rows})
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"balanced: {len(sent)} messages = {rejected} rejected")

    gone = expected.rows[len(expected.rows) // 2]
    delete_row(run, gone.hour, gone.region)
    report = reconcile_run(run.settings)
    assert report.unbalanced_hours == [gone.hour]
    (hour,) = [item for item in report.hours if item.hour == gone.hour]
    assert hour.problems == (
        f"{gone.region}: {gone.readings} winners, region_hourly_temperature 0, region_temperature_history {gone.readings}",
    )
    assert main(["--json"]) == 1
    assert json.loads(capsys.readouterr().out)["unbalanced_hours"] == [gone.hour.isoformat()]


def test_hours_asked_read_their_kafka_window_and_reach_the_whole_runs_verdicts(run: PipelineRun) -> None:
    """Old hours replayed now and readings of the last minutes, with a duplicate and a correction
    that moves a reading to another region: the recent hours alone are accounted as in the whole run."""
    now = datetime.now(UTC).replace(microsecond=0)
    rennes, caen = (48.11, -1.68), (49.18, -0.37)
    minutes_ago = [now - timedelta(minutes=3), now - timedelta(minutes=2), now - timedelta(minutes=1)]
    recent = [reading("now-1", minutes_ago[0], rennes, 11.0), reading("now-2", minutes_ago[1], rennes, 12.0),
              reading("now-1", minutes_ago[0], rennes, 11.0), reading("now-2", minutes_ago[2], caen, 13.0)]  # fmt: skip
    run.submit()
    sent = run.produce(build(now).phase_a + recent)
    expected = expected_outcome(sent)
    wait_for("the tables to equal the oracle", lambda: diff_tables(expected, run.table_rows()), lambda diff: not diff, 180)
    whole = wait_for("the run to balance", lambda: reconcile_run(run.settings), lambda found: found.balanced, 60)
    hours = sorted({moment.replace(minute=0, second=0) for moment in minutes_ago})
    windowed = reconcile_run(run.settings, hours=hours)
    assert windowed == whole.for_hours(set(hours)) and windowed.balanced
    assert sum(hour.winners for hour in windowed.hours) == 2 and sum(hour.superseded for hour in windowed.hours) == 2


def test_an_unreachable_cassandra_exits_2(
    run: PipelineRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("IOT_CASSANDRA_PORT", "1")
    assert main([]) == 2
    cassandra = run.settings.cassandra
    told = f"iot-reconcile: cannot read keyspace {cassandra.keyspace} from Cassandra at {cassandra.host}:1: "
    assert capsys.readouterr().err.startswith(told)


def test_topics_that_cannot_be_read_are_named(
    run: PipelineRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    kafka = run.settings.kafka
    run.produce([b"{}"])
    with pytest.raises(TimeoutError, match=f"could not read {kafka.readings_topic} to its end offsets"):
        read_partitions(kafka, kafka.readings_topic, timeout_s=0)
    monkeypatch.setenv("IOT_KAFKA_READINGS_TOPIC", f"{kafka.readings_topic}-missing")
    assert main([]) == 2
    assert f"topic '{kafka.readings_topic}-missing' does not exist" in capsys.readouterr().err
