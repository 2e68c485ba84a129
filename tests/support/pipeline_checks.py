"""What every run of the whole pipeline must end with: the oracle's tables and dead letters, balanced.

Shared by the end-to-end and the fault-injection tests.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from oracle import ExpectedOutcome, SentMessage, diff_tables, expected_outcome
from reconcile.sources import reconcile_run
from results.records import decode_record, record_key
from results.rows import ResultRow
from results.tables import RESULT_TABLES
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.dataset import HOUR, Dataset

# The oracle never forgets an id; the job forgets one lateness + out-of-orderness after its event
# time unless told otherwise, and the datasets correct readings older than that.
REMEMBER_IDS_ALL_RUN = {"IOT_JOB_ID_RETENTION_EXTRA_SECONDS": str(2 * 24 * 3600)}

# pytest's ``record_property``: where a test keeps its figures.
Record = Callable[[str, object], None]


def assert_tables_reach(run: PipelineRun, expected: ExpectedOutcome, timeout_s: float = 180) -> None:
    wait_for("the tables to equal the oracle", lambda: diff_tables(expected, run.table_rows()), lambda diff: not diff, timeout_s)


def results_topic_rows(run: PipelineRun) -> dict[tuple, ResultRow]:
    """The rows the results topic says the table holds: the latest committed record of each key, tombstones dropped."""
    latest: dict[str, ResultRow | None] = {}
    for key, value in run.read_topic(run.settings.kafka.results_topic):
        record = decode_record(key or b"", value)
        latest[record.key] = record.row
    return {(row.hour, row.region): row for row in latest.values() if row is not None}


def assert_results_topic_mirrors_tables(run: PipelineRun, timeout_s: float = 60) -> None:
    """The results topic, read from the start, holds exactly the rows of the by-hour table, with
    the same values (its transactions commit at the next checkpoint; the whole-table read leaves
    ``updated_at`` out, which tests/job/test_cassandra_writer.py compares)."""
    def differences() -> list[str]:
        table = {(row.hour, row.region): row for row in run.table_rows()[RESULT_TABLES[0]]}
        topic = results_topic_rows(run)
        return ([f"only in the table: {key}" for key in table.keys() - topic.keys()]
                + [f"only in the topic: {key}" for key in topic.keys() - table.keys()]
                + [f"{key}: table {table[key]} topic {topic[key]}"
                   for key in table.keys() & topic.keys() if table[key][:5] != topic[key][:5]])
    wait_for("the results topic to mirror the table", differences, lambda found: not found, timeout_s)


def assert_dead_letters(run: PipelineRun, expected: ExpectedOutcome) -> None:
    """Exactly the too-late and the job's rejected messages, each once (the sinks are transactional);
    the poller's own rejections (``stage: ingest``) are checked against what the API served."""
    kafka = run.settings.kafka
    late = wait_for("the late records", lambda: run.read_topic(kafka.late_topic), lambda r: len(r) >= len(expected.late), 60)
    assert sorted(json.loads(value)["id"] for _, value in late) == sorted(item.reading.id for item in expected.late)
    assert all(json.loads(value)["reason"] == "too_late" for _, value in late)
    rejected = wait_for("the rejected records", lambda: run.read_topic(kafka.rejected_topic),
                        lambda r: len(r) >= len(expected.rejected), 60)
    from_job = [record for record in (json.loads(value) for _, value in rejected) if record["stage"] == "job"]
    assert Counter(record["reason"] for record in from_job) == Counter(str(r.reason) for r in expected.rejected)


def assert_exact(run: PipelineRun, sent: list[SentMessage], timeout_s: float = 180,
                 record: Record | None = None) -> ExpectedOutcome:
    """Tables equal to the oracle, dead letters exact, and every message accounted for;
    ``record`` (pytest's ``record_property``) keeps the run's figures for docs/reliability.md."""
    expected = expected_outcome(sent)
    assert_tables_reach(run, expected, timeout_s)
    assert_dead_letters(run, expected)
    report = wait_for("the run to balance", lambda: reconcile_run(run.settings), lambda found: found.balanced, 60)
    totals = report.totals
    assert totals.messages == len(sent)
    if record:
        failures = run.rest(f"/jobs/{run.job_id}/exceptions")["exceptionHistory"]["entries"]
        figures = {"messages": totals.messages, "readings counted": totals.hourly, "superseded versions": totals.superseded,
                   "late": totals.late, "rejected": totals.rejected, "lost": max(0, totals.winners - totals.hourly),
                   "double counted": max(0, totals.hourly - totals.winners),
                   "job failures recovered": len(failures)}
        for name, value in figures.items():
            record(name, value)
    return expected


def assert_dataset_end_to_end(run: PipelineRun, data: Dataset) -> list[SentMessage]:
    """The end-to-end dataset through ``run``'s running job, checked against the oracle after each
    step: phase A, phase B (three too-late versions), then a row created and deleted (a tombstone
    in the results topic). Returns what was sent."""
    sent = run.produce(data.phase_a)
    expected = expected_outcome(sent)
    assert len({row.region for row in expected.rows}) == 18
    assert_tables_reach(run, expected)

    sent += run.produce(data.phase_b)
    expected = expected_outcome(sent)
    assert len(expected.late) == 3, "the dataset's phase B holds three too-late versions"
    assert_exact(run, sent)

    created, moved = data.lonely
    sent += run.produce([created])
    assert_tables_reach(run, expected_outcome(sent))
    sent += run.produce([moved])
    expected = assert_exact(run, sent)
    assert_results_topic_mirrors_tables(run)
    gone_hour = data.base_hour + 7 * HOUR
    assert not any(row.hour == gone_hour and row.region == "Bretagne" for row in expected.rows)
    gone = record_key(gone_hour, "Bretagne").encode()
    assert [value for key, value in run.read_topic(run.settings.kafka.results_topic) if key == gone][-1] is None
    return sent
