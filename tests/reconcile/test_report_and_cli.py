"""``iot-reconcile`` without the services: its text and JSON, its command line, its exit status."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from kafka.errors import KafkaTimeoutError

from reconcile import Reconciliation, cli, reconcile, sources
from reconcile.report import report_json, report_text
from reconcile.sources import Unreadable, json_object, read_run
from settings import Settings
from tests.reconcile.records import HOUR, both_tables, rejected_record, row
from tests.support.messages import BASE, raw, reading

RUN = {"readings_topic": "r", "rejected_topic": "rj", "late_topic": "l", "keyspace": "ks"}
MESSAGES = [reading("a", 10, 12.0), reading("b", 20, 14.0), reading("a", 10, 12.0), reading("c", 70, 9.0), raw(b"{")]
REJECTED = [rejected_record("malformed_json"), rejected_record("invalid_type", "ingest")]


def balanced() -> Reconciliation:
    return reconcile(MESSAGES, REJECTED, [], both_tables(row("Bretagne", 2), row("Bretagne", 1, BASE + HOUR)))


def unbalanced() -> Reconciliation:
    return reconcile(MESSAGES, REJECTED[1:], [], both_tables(row("Bretagne", 2)))


def test_the_text_shows_each_hour_the_rejected_and_the_total() -> None:
    text = report_text(balanced(), RUN)
    assert text.startswith("Reconciliation of r with keyspace ks (rejected: rj, late: l)\n\nHour (UTC)  ")
    lines = text.splitlines()
    assert lines[4].split() == ["2019-04-28", "04:00", "3", "-", "1", "0", "2", "2", "2", "yes"]
    assert lines[6].split() == ["rejected", "1", "1", "-", "-", "-", "-", "-", "yes"]
    assert lines[7].split() == ["total", "5", "1", "1", "0", "3", "3", "3", "yes"]
    assert "invalid_type                 0            0               1" in text
    assert "Rejected topic: 1 records of stage job, 1 of stage ingest (never in r)." in text
    assert "Problems:" not in text
    assert text.endswith(
        "balanced: 5 messages = 1 rejected + 1 superseded + 0 late + 3 winners, and both tables count the 3 winners")


def test_the_text_of_an_unbalanced_run_lists_the_hours_and_problems() -> None:
    text = report_text(unbalanced(), RUN)
    assert text.splitlines()[5].split() == ["2019-04-28", "05:00", "1", "-", "0", "0", "1", "0", "0", "NO"]
    assert "  2019-04-28 05:00  Bretagne: 1 winners, region_hourly_temperature 0, region_temperature_history 0" in text
    assert (
        "  no hour           malformed_json: 1 messages of the readings topic rejected, 0 job records in the rejected topic"
        in text
    )
    assert text.endswith("NOT balanced: unbalanced hours: 2019-04-28 05:00; problems outside any hour: 1")


def test_one_hour_alone_has_no_rejected_line() -> None:
    text = report_text(balanced().for_hours({BASE}), RUN)
    assert "rejected  " not in text and "Reason" not in text and "Rejected topic" not in text and "\ntotal " in text


def test_a_run_whose_hours_balance_can_still_fail_on_its_rejections() -> None:
    report = reconcile(MESSAGES, REJECTED[1:], [], both_tables(row("Bretagne", 2), row("Bretagne", 1, BASE + HOUR)))
    assert report_text(report, RUN).endswith("NOT balanced: problems outside any hour: 1")


def test_the_json_holds_the_same_facts() -> None:
    facts = json.loads(report_json(unbalanced(), RUN))
    assert facts["run"] == RUN and facts["balanced"] is False
    assert facts["unbalanced_hours"] == ["2019-04-28T05:00:00+00:00"]
    assert facts["totals"]["messages"] == 5 and facts["totals"]["rejected_ingest_records"] == 1
    assert facts["hours"][0] == {
        "hour": "2019-04-28T04:00:00+00:00", "messages": 3, "superseded": 1, "late": 0, "winners": 2, "hourly": 2,
        "history": 2, "unmatched_late": 0, "problems": [], "balanced": True,
    }  # fmt: skip
    assert facts["rejections"][1] == {"reason": "malformed_json", "topic": 1, "job": 0, "ingest": 0}
    assert len(facts["problems"]) == 1


def test_dead_letter_values_that_are_not_json_objects_read_as_empty() -> None:
    assert json_object(b'{"reason": "x"}') == {"reason": "x"}
    assert json_object(b"[1]") == json_object(b"{") == json_object(None) == {}


class FakeRun:
    """``reconcile_run`` without the services: records the settings it got, answers ``report`` (or raises it)."""

    def __init__(self) -> None:
        self.report: Reconciliation | Exception = balanced()
        self.asked: list[Settings] = []
        self.hours: list[list[datetime] | None] = []

    def __call__(self, settings: Settings, hours: list[datetime] | None = None) -> Reconciliation:
        self.asked.append(settings)
        self.hours.append(hours)
        if isinstance(self.report, Exception):
            raise self.report
        return self.report.for_hours(set(hours)) if hours else self.report


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    fake = FakeRun()
    monkeypatch.setattr(cli, "reconcile_run", fake)
    return fake


def test_a_balanced_run_exits_0(answer: FakeRun, capsys: pytest.CaptureFixture) -> None:
    flags = ["--readings-topic", "t1", "--rejected-topic", "t2", "--late-topic", "t3", "--keyspace", "k"]
    assert cli.main(flags) == 0
    assert (answer.asked[0].kafka.topics[:3], answer.asked[0].cassandra.keyspace) == (("t1", "t2", "t3"), "k")
    assert capsys.readouterr().out.startswith("Reconciliation of t1 with keyspace k")


def test_an_unbalanced_run_exits_1_and_one_hour_can_be_asked(answer: FakeRun, capsys: pytest.CaptureFixture) -> None:
    answer.report = unbalanced()
    assert cli.main(["--json"]) == 1
    assert json.loads(capsys.readouterr().out)["unbalanced_hours"] == ["2019-04-28T05:00:00+00:00"]
    assert cli.main(["--hour", "2019-04-28 04"]) == 0  # that hour balances
    assert "2019-04-28 05:00" not in capsys.readouterr().out
    assert answer.hours[-1] == [BASE]


def test_a_range_of_hours_is_asked_of_the_sources_both_ends_included(answer: FakeRun) -> None:
    answer.report = unbalanced()
    assert cli.main(["--from", "2019-04-28 04", "--to", "2019-04-28 05"]) == 1
    assert answer.hours == [[BASE, BASE + HOUR]]


def test_an_unreadable_source_exits_2(answer: FakeRun, capsys: pytest.CaptureFixture) -> None:
    answer.report = Unreadable("cannot read the topics from Kafka at nowhere:9092: no")
    assert cli.main([]) == 2
    assert capsys.readouterr().err == "iot-reconcile: cannot read the topics from Kafka at nowhere:9092: no\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hour", "2019-04-28 04:30"], "is not the start of an hour"),
        (["--keyspace", "Bad-Name"], "not a Cassandra keyspace name"),
        (["--from", "2019-04-28 04"], "--from and --to go together"),
        (["--from", "2019-04-28 05", "--to", "2019-04-28 04"], "is before the first"),
        (["--hour", "2019-04-28 04", "--to", "2019-04-28 05"], "--hour or --from/--to, not both"),
    ],
)
def test_wrong_command_lines_exit_2(argv: list[str], message: str, answer: FakeRun, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err and not answer.asked


def test_a_kafka_failure_names_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> list:
        raise KafkaTimeoutError("Unable to bootstrap")

    monkeypatch.setattr(sources, "read_messages", refuse)
    with pytest.raises(Unreadable, match=r"^cannot read the topics from Kafka at 127\.0\.0\.1:9092: .*Unable to bootstrap"):
        read_run(Settings())
