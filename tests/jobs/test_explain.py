"""``python -m jobs.explain``: the job's plan and the worked correction, without any service."""

from __future__ import annotations

import pytest
from pyflink.common import RowKind

from jobs import explain
from jobs.explain import R0, R1, R2, R3, Task
from jobs.submit import ROOT

CHAIN = (
    "Source: t[1] -> Calc[2] -> TableToDataStream -> (*anonymous_datastream_source$2*[6] -> Calc[7], Sink[9]: Writer)"
)


def test_a_chain_name_splits_into_its_operators_in_order() -> None:
    assert explain.split_chain(CHAIN) == [
        "Source: t[1]", "Calc[2]", "TableToDataStream", "*anonymous_datastream_source$2*[6]", "Calc[7]",
        "Sink[9]: Writer",
    ]
    assert explain.short_name(CHAIN) == (
        "Source: t -> Calc -> to DataStream -> (from DataStream -> Calc, Sink: Writer)"
    )


def test_tasks_print_as_a_table_and_as_a_mermaid_flowchart() -> None:
    tasks = [Task(0, CHAIN, 2, ()), Task(1, "versions by id -> Map", 2, ((0, "HASH"),), ("reading-versions",))]
    table = explain.tasks_table(tasks).splitlines()
    assert table[1].split()[:2] == ["0", "2"] and "Sink: Writer" in table[1]
    assert "0 HASH" in table[2] and "[uid: reading-versions]" in table[2]
    chart = explain.mermaid(tasks)
    assert chart.splitlines()[0] == "flowchart TB"
    assert 't0["task 0, parallelism 2<br/>Source: t<br/>Sink: Writer"]' in chart  # no Calc, no conversions
    assert "t0 -->|HASH| t1" in chart


def test_the_plan_of_the_real_job() -> None:
    env, statements = explain.build_job(parallelism=2)
    every_task = explain.job_graph_tasks(env, statements)
    # The archive (docs/archive.md): its files written in the source's task, from the same scan as
    # everything else; Flink's discarding `end` sink after the writer alone (no partition committer).
    assert [task.operators[0].split("[")[0] for task in every_task].count("Source: sensor_readings") == 1
    end = [task for task in every_task if task.operators == ["end: Writer"]]
    assert len(end) == 1 and end[0].parallelism == 1
    tasks = [task for task in every_task if task not in end]
    first = [task.operators[0] for task in tasks]
    assert first[0].startswith("Source: sensor_readings") and not tasks[0].inputs
    assert "StreamingFileWriter" in tasks[0].operators
    assert {"versions by id", "upsert into cassandra"} <= set(first)
    # Each partition's watermark in the source's task, where its messages are in offset order: no shuffle.
    assert "partition watermark" in tasks[0].operators and "PythonCalc" in " ".join(tasks[0].operators)
    assert all(task.parallelism == 2 for task in tasks)
    assert {strategy for task in tasks for _, strategy in task.inputs} == {"HASH"}
    assert sorted(uid for task in tasks for uid in task.uids) == ["cassandra-writer", "partition-watermarks", "reading-versions"]
    # One aggregation holds the mean and the mean three hours before: no join, no second copy.
    operators = [name for task in tasks for name in task.operators]
    assert not any(name.startswith("Join") for name in operators)
    assert sum(name.startswith("GlobalGroupAggregate") for name in operators) == 1
    # docs/architecture.md §3.1 quotes both views of this plan "unchanged": they must be today's.
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert explain.mermaid(every_task) in architecture
    assert explain.tasks_table(every_task) in architecture


def test_the_command_prints_the_operators_and_the_planner_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain.main(["plan", "--parallelism", "1", "--show", "operators,sql"]) == 0
    out = capsys.readouterr().out
    assert "partition watermark" in out and "versions by id" in out
    assert "== Optimized Execution Plan ==" in out and "MiniBatchAssigner(interval=[1000ms]" in out


def test_the_command_refuses_an_unknown_view() -> None:
    with pytest.raises(SystemExit) as stopped:
        explain.main(["plan", "--show", "tasks,graph"])
    assert stopped.value.code == 2


def row(kind: RowKind, hour: int, mean: float | None, count: int, before: float | None = None) -> tuple:
    return kind, (hour * explain.HOUR_MS, "Bretagne", mean, count, before)


def test_rows_are_read_as_the_cassandra_writer_applies_them() -> None:
    rows = [
        row(RowKind.INSERT, 13, 9.0, 1, 11.0),
        row(RowKind.UPDATE_BEFORE, 13, 9.0, 1, 11.0),
        row(RowKind.UPDATE_AFTER, 13, 9.0, 1, 10.0),
        row(RowKind.INSERT, 16, None, 0, 9.0),  # only a "before": not a row
        row(RowKind.INSERT, 10, 12.0, 1, 8.0),
        row(RowKind.UPDATE_BEFORE, 10, 12.0, 1, 8.0),
        row(RowKind.UPDATE_AFTER, 10, None, 0, 8.0),  # 10:00 lost its last reading
    ]
    assert explain.upserted(rows) == {(13 * explain.HOUR_MS, "Bretagne"): (9.0, 1, 10.0)}
    assert explain.cassandra_writes(rows) == [
        "+I -> upsert (13:00, Bretagne): mean 9, readings 1, 3h before 11",
        "-U -> skipped",
        "+U -> upsert (13:00, Bretagne): mean 9, readings 1, 3h before 10",
        "+I -> skipped",
        "+I -> upsert (10:00, Bretagne): mean 12, readings 1, 3h before 8",
        "-U -> skipped",
        "+U -> delete (10:00, Bretagne)",
    ]


def test_expected_rows_and_where_the_correction_starts() -> None:
    hours = {hour: explain.utc_ms(f"2019-04-28 {hour:02d}:00:00") for hour in (10, 11, 13)}
    assert explain.expected_state((R0, R1, R2, R3)) == {
        (hours[10], "Bretagne"): (11.0, 2, None),
        (hours[11], "Bretagne"): (14.0, 1, None),
        (hours[13], "Bretagne"): (9.0, 1, 11.0),
    }
    rows = [
        (RowKind.INSERT, (hours[10], "Bretagne", 12.0, 1, None)), (RowKind.INSERT, (hours[11], "Bretagne", 14.0, 1, None)),
        (RowKind.DELETE, (hours[10], "Bretagne", 12.0, 1, None)),
    ]
    assert explain.after_the_state(rows, explain.expected_state((R1, R2))) == 2
    with pytest.raises(AssertionError):
        explain.after_the_state(rows, {(hours[13], "Bretagne"): (9.0, 1, None)})


CASSANDRA_ROWS = "rows in Cassandra afterwards (both tables):\n"


def correction_report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, list[str]]:
    """The command's report, and the rows Cassandra ends with (its last lines)."""
    assert explain.main(["correction", *args, "--pause", "3"]) == 0
    report = capsys.readouterr().out
    return report, report.rstrip().split(CASSANDRA_ROWS)[-1].splitlines()


def test_a_correction_moving_a_reading_to_the_next_hour(capsys: pytest.CaptureFixture[str]) -> None:
    report, rows = correction_report(capsys)
    # The versions step takes the old value back from 10:00 (weight -1) and adds the new one to 11:00 ...
    assert "caused by the correction:\n    +I (10:00, Bretagne, 12, -1)\n    +I (11:00, Bretagne, 12.4, 1)\n" in report
    # ... and Cassandra ends with the rows of r0, r2, r3 and the corrected r1, 13:00 following 10:00.
    assert CASSANDRA_ROWS in report and rows == [
        "  10:00 Bretagne: mean 10, readings 1, 3h before null",
        "  11:00 Bretagne: mean 13.2, readings 2, 3h before null",
        "  13:00 Bretagne: mean 9, readings 1, 3h before 10",
    ]


def test_a_correction_emptying_an_hour_deletes_its_row(capsys: pytest.CaptureFixture[str]) -> None:
    report, rows = correction_report(capsys, "--scenario", "empties")
    # 10:00 keeps 07:00's mean as its "before", so its row goes by an update without readings.
    assert "+U -> delete (10:00, Bretagne)" in report
    assert CASSANDRA_ROWS in report and rows == [
        "  07:00 Bretagne: mean 8, readings 1, 3h before null",
        "  11:00 Bretagne: mean 13.2, readings 2, 3h before null",
        "  13:00 Bretagne: mean 9, readings 1, 3h before null",
    ]
