"""The accounting of ``iot-reconcile`` on constructed runs: one rule or one fault per test."""

from __future__ import annotations

from reconcile import HourAccount, Reconciliation, RejectionAccount, reconcile
from results.tables import RESULT_TABLES
from tests.reconcile.records import HOUR, both_tables, late_record, rejected_record, row
from tests.support.messages import BASE, CAEN, MADRID, raw, reading

# Two readings of Bretagne, a duplicate, a correction of the temperature.
MESSAGES = [reading("a", 10, 12.0), reading("b", 20, 14.0), reading("a", 10, 12.0), reading("b", 20, 15.0)]


def test_a_run_where_everything_is_accounted_for() -> None:
    report = reconcile(MESSAGES, [], [], both_tables(row("Bretagne", 2)))
    assert report.hours == (HourAccount(BASE, messages=4, superseded=2, late=0, winners=2, hourly=2, history=2),)
    assert report.balanced and report.unbalanced_hours == []
    totals = report.totals
    assert totals.messages == totals.rejected + totals.superseded + totals.late + totals.winners == 4


def test_a_missing_row_unbalances_its_hour() -> None:
    tables = {RESULT_TABLES[0]: [], RESULT_TABLES[1]: [row("Bretagne", 2)]}
    report = reconcile(MESSAGES, [], [], tables)
    (hour,) = report.hours
    assert (hour.winners, hour.hourly, hour.history) == (2, 0, 2)
    assert hour.problems == ("Bretagne: 2 winners, region_hourly_temperature 0, region_temperature_history 2",)
    assert not report.balanced and report.unbalanced_hours == [BASE]


def test_a_reading_counted_twice_unbalances_its_hour() -> None:
    report = reconcile(MESSAGES, [], [], both_tables(row("Bretagne", 3)))
    assert report.unbalanced_hours == [BASE]
    assert report.hours[0].problems[0].startswith("Bretagne: 2 winners, region_hourly_temperature 3")


def test_sums_that_agree_do_not_hide_a_reading_in_the_wrong_region() -> None:
    report = reconcile(MESSAGES, [], [], both_tables(row("Bretagne", 1), row("Normandie", 1)))
    assert report.hours[0].hourly == report.hours[0].winners == 2
    assert len(report.hours[0].problems) == 2 and not report.balanced


def test_a_correction_moves_the_reading_to_another_hour() -> None:
    messages = [reading("a", 10, 12.0), reading("a", 70, 9.0, CAEN)]
    report = reconcile(messages, [], [], both_tables(row("Normandie", 1, BASE + HOUR)))
    assert report.hours == (
        HourAccount(BASE, messages=1, superseded=1),
        HourAccount(BASE + HOUR, messages=1, winners=1, hourly=1, history=1),
    )
    assert report.balanced
    stale = reconcile(messages, [], [], both_tables(row("Bretagne", 1), row("Normandie", 1, BASE + HOUR)))
    assert stale.unbalanced_hours == [BASE]  # the job did not retract the first version


def test_a_late_correction_leaves_the_earlier_version_winning() -> None:
    correction = reading("a", 11, 20.0)
    report = reconcile([reading("a", 10, 12.0), correction], [], [late_record(correction)], both_tables(row("Bretagne", 1)))
    assert report.hours == (HourAccount(BASE, messages=2, late=1, winners=1, hourly=1, history=1),)
    assert report.balanced and report.totals.late_records == 1


def test_a_late_copy_matches_the_last_message_of_that_version() -> None:
    # a, then its correction, then a copy of the first version that came too late: the correction wins.
    first, moved = reading("a", 10, 12.0), reading("a", 70, 9.0, CAEN)
    report = reconcile([first, moved, first], [], [late_record(first)], both_tables(row("Normandie", 1, BASE + HOUR)))
    assert report.hours[0] == HourAccount(BASE, messages=2, superseded=1, late=1)
    assert report.balanced


def test_an_id_whose_only_versions_were_late_has_no_winner() -> None:
    versions = [reading("c", 5, 3.0), reading("c", 6, 4.0)]
    late = [late_record(message) for message in versions]
    report = reconcile([reading("a", 10, 12.0), *versions], [], late, both_tables(row("Bretagne", 1)))
    assert report.hours == (HourAccount(BASE, messages=3, late=2, winners=1, hourly=1, history=1),)
    assert report.balanced


def test_a_late_record_that_names_no_message_unbalances_its_hour() -> None:
    ghost = late_record(reading("ghost", 70, 1.0))
    report = reconcile(MESSAGES, [], [ghost], both_tables(row("Bretagne", 2)))
    assert report.unbalanced_hours == [BASE + HOUR]
    assert report.hours[1].problems == ("1 late records (ids ghost) match no message of the readings topic",)
    assert report.totals.late_records == 1 and report.totals.late == 0


def test_an_unreadable_late_record_is_a_problem_of_the_run() -> None:
    report = reconcile(MESSAGES, [], [{"id": "a", "timestamp": "yesterday"}, {}], both_tables(row("Bretagne", 2)))
    assert report.problems == ("2 late records have no readable id, timestamp, lat, lon and temperature",)
    assert report.unbalanced_hours == [] and not report.balanced and report.totals.late_records == 2


def test_rejections_of_the_job_must_match_the_topic_and_ingest_ones_stand_apart() -> None:
    messages = [*MESSAGES, raw(b"{not json"), reading("m", 30, 15.0, MADRID)]
    rejected = [rejected_record("malformed_json"), rejected_record("outside_france"), rejected_record("invalid_type", "ingest")]
    report = reconcile(messages, rejected, [], both_tables(row("Bretagne", 2)))
    assert report.rejections == (
        RejectionAccount("invalid_type", topic=0, job=0, ingest=1),
        RejectionAccount("malformed_json", topic=1, job=1, ingest=0),
        RejectionAccount("outside_france", topic=1, job=1, ingest=0),
    )
    assert report.balanced
    totals = report.totals
    assert (totals.messages, totals.rejected, totals.rejected_job_records, totals.rejected_ingest_records) == (6, 2, 2, 1)


def test_a_missing_job_rejection_is_a_problem_of_the_run() -> None:
    report = reconcile([*MESSAGES, raw(b"")], [{"stage": "job"}], [], both_tables(row("Bretagne", 2)))
    assert report.problems == (
        "(no reason): 0 messages of the readings topic rejected, 1 job records in the rejected topic",
        "empty_message: 1 messages of the readings topic rejected, 0 job records in the rejected topic",
    )
    assert not report.balanced and report.unbalanced_hours == []


def test_rows_of_an_hour_without_messages_are_unbalanced() -> None:
    report = reconcile([], [], [], both_tables(row("Corse", 4, BASE - HOUR)))
    assert report.hours == (
        HourAccount(BASE - HOUR, hourly=4, history=4,
                    problems=("Corse: 0 winners, region_hourly_temperature 4, region_temperature_history 4",)),
    )  # fmt: skip


def test_one_hour_leaves_the_other_hours_and_the_rejections_out() -> None:
    messages = [reading("a", 10, 12.0), reading("b", 70, 9.0), raw(b"[]")]
    report = reconcile(messages, [], [], both_tables(row("Bretagne", 1)))
    assert report.unbalanced_hours == [BASE + HOUR] and report.problems
    assert report.for_hours({BASE}) == Reconciliation((report.hours[0],), ())
    assert report.for_hours({BASE}).balanced and not report.for_hours({BASE + HOUR}).balanced
