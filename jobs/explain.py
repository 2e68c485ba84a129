"""``python -m jobs.explain``: the streaming job's real plan, and a correction traced through it.

Two commands, neither needs Kafka, Cassandra or a Flink cluster (the planner only needs the Kafka
connector jar of ``build/lib/flink-connectors``, the one ``iot-submit`` ships, and the job's own
functions jar of ``build/lib/job-functions``):

``python -m jobs.explain plan [--parallelism 2] [--show tasks,mermaid,operators,sql]``
    Builds the job's statement set with ``jobs.hourly_region_means.build`` in a local
    StreamTableEnvironment and prints what Flink makes of it: the tasks of the job graph (the
    operator chains the dashboard shows, with their inputs and ship strategies), the same as a
    Mermaid flowchart, every operator of the stream graph, or the planner's ``explain()`` text.

``python -m jobs.explain correction [--scenario moves|empties]``
    Runs a small worked example through the job's own steps on a local mini-cluster: a
    correction that moves a reading from 10:59:50 to 11:00:10, and prints what each step emits
    (the versions step, the hourly aggregation with the three-hours-before value) and the Cassandra
    statements the writer makes of it. docs/architecture.md quotes both commands' output.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from results.hours import HOUR_MS, hour_of

SHOW_CHOICES = ("tasks", "mermaid", "operators", "sql")
# The uids the planner gives SQL operators (table.exec.uid.generation ALWAYS): "<node id>_<transformation>",
# which a sink's committer prefixes ("Sink Committer: 16_sink").
PLAN_UID = re.compile(r"(.*: )?\d+_[a-z-]+$")


# ----------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Task:
    """One vertex of the job graph: a chain of operators that runs as one task per subtask."""

    index: int
    name: str
    parallelism: int
    inputs: tuple[tuple[int, str], ...]  # (index of the producing task, ship strategy)
    uids: tuple[str, ...] = ()  # uids set in our code (the SQL operators' come from the plan, PLAN_UID)

    @property
    def operators(self) -> list[str]:
        return split_chain(self.name)


def split_chain(name: str) -> list[str]:
    """The operator names of a chain name such as ``A -> B -> (C -> D, E)``, in order."""
    flat = name.replace("(", " ").replace(")", " ")
    return [part.strip() for part in re.split(r"\s+->\s+|,\s+", flat) if part.strip()]


def short_name(operator: str) -> str:
    """An operator name without the planner's ``[n]`` suffix and anonymous table names."""
    operator = re.sub(r"\*anonymous_datastream_source\$\d+\*", "from DataStream", operator)
    operator = re.sub(r"\[\d+\]", "", operator)
    return operator.replace("_stream_key_by_map_operator", "key_by (Python)").replace(
        "TableToDataStream", "to DataStream"
    )


def local_environment(parallelism: int):
    """A local StreamExecutionEnvironment with the Kafka connector and our JVM step on its class path.

    The jars go into the environment's ``pipeline.jars`` / ``pipeline.classpaths`` before the
    table environment is created, as ``flink run -j ... -C ...`` does for ``iot-submit``: the
    planner looks the ``kafka`` table factory up in that class loader.
    """
    from pyflink.datastream import StreamExecutionEnvironment

    from jobs.submit import connector_classpath, connector_jar
    from udfs.jvm_functions import with_job_functions

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    env.add_jars(connector_jar().as_uri())
    env.add_classpaths(*connector_classpath())
    return with_job_functions(env)


def build_job(parallelism: int):
    """The job's statement set, built exactly as ``jobs.hourly_region_means.run`` builds it."""
    from pyflink.table import StreamTableEnvironment

    from jobs import hourly_region_means
    from settings import Settings

    settings = Settings.from_env()
    env = local_environment(parallelism)
    t_env = StreamTableEnvironment.create(env)
    return env, hourly_region_means.build(t_env, settings)


def job_graph_tasks(env, statements) -> list[Task]:
    """The job graph Flink would run: the statement set attached to the environment, translated
    with PyFlink's own steps (Python operator chaining included), then cut into tasks."""
    statements.attach_as_datastream()
    job_graph = env._generate_stream_graph(clear_transformations=True).getJobGraph()
    vertices = list(job_graph.getVerticesSortedTopologicallyFromSources())
    index_of = {vertex.getID().toString(): i for i, vertex in enumerate(vertices)}
    tasks = []
    for i, vertex in enumerate(vertices):
        inputs = tuple(
            (index_of[edge.getSource().getProducer().getID().toString()], str(edge.getShipStrategyName()))
            for edge in vertex.getInputs()
        )
        uids = tuple(
            str(pair.getUserDefinedOperatorUid())
            for pair in vertex.getOperatorIDs()
            if pair.getUserDefinedOperatorUid() is not None and not PLAN_UID.match(pair.getUserDefinedOperatorUid())
        )
        tasks.append(Task(i, str(vertex.getName()), int(vertex.getParallelism()), inputs, uids))
    return tasks


def stream_graph_operators(plan_text: str) -> list[dict]:
    """The operators of the ``== Physical Execution Plan ==`` JSON of ``explain()``."""
    start = plan_text.index("== Physical Execution Plan ==")
    body = plan_text[plan_text.index("{", start) : plan_text.rindex("}") + 1]
    return json.loads(body)["nodes"]


def operator_line(node: dict, width: int = 110) -> str:
    inputs = ", ".join(f"{p['id']} {p['ship_strategy']}" for p in node.get("predecessors", []))
    contents = re.sub(r"\s+", " ", node["contents"])
    if len(contents) > width:
        contents = contents[: width - 1] + "…"
    return f"{node['id']:>4}  p={node['parallelism']:<3} <- {inputs or '(source)':<22} {contents}"


def tasks_table(tasks: list[Task]) -> str:
    """One line per task: its inputs and its chain as Flink names it (``(a, b)`` are branches)."""
    lines = ["task  parallelism  inputs                 operators (chained; parentheses hold branches)"]
    for task in tasks:
        inputs = ", ".join(f"{source} {strategy}" for source, strategy in task.inputs) or "-"
        operators = short_name(task.name)
        uids = f"   [uid: {', '.join(task.uids)}]" if task.uids else ""
        lines.append(f"{task.index:>4}  {task.parallelism:>11}  {inputs:<21}  {operators}{uids}")
    return "\n".join(lines)


# Conversions and projections the planner adds around every step; the tasks table lists them.
PLUMBING = {"Calc", "ConstraintEnforcer", "to DataStream", "from DataStream", "MiniBatchAssigner", "Map"}


def mermaid(tasks: list[Task]) -> str:
    """A Mermaid flowchart of the tasks: one box per chain (without the planner's plumbing
    operators), edges labelled with the exchange between them."""
    lines = ["flowchart TB"]
    for task in tasks:
        names = [short_name(name) for name in task.operators]
        label = "<br/>".join(name for name in names if name not in PLUMBING).replace('"', "#quot;")
        lines.append(f'  t{task.index}["task {task.index}, parallelism {task.parallelism}<br/>{label}"]')
    for task in tasks:
        for source, strategy in task.inputs:
            lines.append(f"  t{source} -->|{strategy}| t{task.index}")
    return "\n".join(lines)


def explain_plan(parallelism: int, show: Iterable[str]) -> str:
    from pyflink.table import ExplainDetail

    env, statements = build_job(parallelism)
    sections = []
    wanted = list(show)
    plan_text = statements.explain(ExplainDetail.JSON_EXECUTION_PLAN) if {"operators", "sql"} & set(wanted) else ""
    if "operators" in wanted:
        nodes = stream_graph_operators(plan_text)
        sections.append("\n".join(["  id  parallelism  inputs  contents", *map(operator_line, nodes)]))
    if "sql" in wanted:
        sections.append(plan_text[: plan_text.index("== Physical Execution Plan ==")].rstrip())
    if {"tasks", "mermaid"} & set(wanted):
        tasks = job_graph_tasks(env, statements)
        if "tasks" in wanted:
            sections.append(tasks_table(tasks))
        if "mermaid" in wanted:
            sections.append(mermaid(tasks))
    return "\n\n".join(sections)


# ---------------------------------------------------------------------- the worked correction

RENNES = (48.11, -1.68)


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class ExampleReading:
    id: str
    timestamp: str
    temperature: float
    watermark: str  # the partition watermark the message is judged against

    @property
    def hour_ms(self) -> int:
        return utc_ms(self.timestamp) // HOUR_MS * HOUR_MS

    def row(self):
        from pyflink.common import Row

        return Row(self.id, utc_ms(self.timestamp), RENNES[0], RENNES[1], self.temperature, "Bretagne",
                   utc_ms(self.watermark))


# Bretagne, 2019-04-28. r1 first says 10:59:50 and 12.0; its correction says 11:00:10 and 12.4.
# The partition has reached 13:40:00, so the watermark is 13:39:30 and the horizon 10:39:30:
# both versions are within the allowed lateness (3 h) and the correction is applied.
R0 = ExampleReading("r0", "2019-04-28 10:15:00", 10.0, "2019-04-28 10:14:30")
R1 = ExampleReading("r1", "2019-04-28 10:59:50", 12.0, "2019-04-28 10:59:20")
R2 = ExampleReading("r2", "2019-04-28 11:20:00", 14.0, "2019-04-28 11:19:30")
R3 = ExampleReading("r3", "2019-04-28 13:40:00", 9.0, "2019-04-28 13:39:30")
R4 = ExampleReading("r4", "2019-04-28 07:30:00", 8.0, "2019-04-28 07:29:30")
CORRECTION = ExampleReading("r1", "2019-04-28 11:00:10", 12.4, "2019-04-28 13:39:30")
SCENARIOS = {
    # 10:00 keeps r0: its mean changes, and so does 13:00's three-hours-before value.
    "moves": ((R0, R1, R2, R3), CORRECTION),
    # r1 was 10:00's only reading: the 10:00 row is deleted (its key keeps 07:00's mean as its
    # "before", so the row goes by an UPDATE_AFTER without readings), 13:00 loses its value.
    "empties": ((R4, R1, R2, R3), CORRECTION),
}


def kind_name(kind) -> str:
    return {0: "+I", 1: "-U", 2: "+U", 3: "-D"}[kind.value]


def row_text(kind, values: tuple) -> str:
    hour_ms, region, *rest = values
    shown = ", ".join("null" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in rest)
    return f"{kind_name(kind)} ({hour_of(hour_ms):%H:%M}, {region}, {shown})"


def result_row(kind, values: tuple):
    from pyflink.common import Row

    row = Row(hour_ms=values[0], region=values[1], mean_temperature=values[2], readings=values[3],
              mean_temperature_3h_before=values[4])
    row.set_row_kind(kind)
    return row


class MemoryValueState:
    """A ValueState in a dict entry, for following the writer's keyed state outside Flink."""

    def __init__(self) -> None:
        self.stored = None

    def value(self):
        return self.stored

    def update(self, value) -> None:
        self.stored = value

    def clear(self) -> None:
        self.stored = None


def with_replaced(rows: Iterable) -> Iterator[tuple]:
    """Each result row with whether the result it replaces was a row, as the writer follows it in
    its keyed state (``udfs.cassandra_writer.replaced_had_row``)."""
    from collections import defaultdict

    from udfs.cassandra_writer import replaced_had_row

    states: defaultdict[tuple, MemoryValueState] = defaultdict(MemoryValueState)
    for kind, values in rows:
        row = result_row(kind, values)
        yield row, replaced_had_row(row, states[(values[0], values[1])])


def upserted(rows: Iterable) -> dict:
    """The rows a reader of Cassandra ends with when the writer has applied ``rows``."""
    from udfs.cassandra_writer import write_for

    state: dict = {}
    for row, replaced_had_row in with_replaced(rows):
        write = write_for(row, replaced_had_row)
        if write == "upsert":
            state[(row.hour_ms, row.region)] = tuple(row[2:])
        elif write == "delete":
            state.pop((row.hour_ms, row.region), None)
    return state


def expected_state(readings: Iterable[ExampleReading]) -> dict:
    """The rows of the given readings: per hour, mean, count and the mean three hours before."""
    by_hour: dict[int, list[float]] = {}
    for reading in readings:
        by_hour.setdefault(reading.hour_ms, []).append(reading.temperature)
    means = {hour: (sum(values) / len(values), len(values)) for hour, values in by_hour.items()}
    return {(hour, "Bretagne"): (*value, means.get(hour - 3 * HOUR_MS, (None,))[0]) for hour, value in means.items()}


def after_the_state(rows: list, state: dict) -> int:
    """How many rows it takes to reach ``state``; the rows after them are the correction's."""
    for count in range(len(rows) + 1):
        if upserted(rows[:count]) == state:
            return count
    raise AssertionError(f"the changelog never reaches {state}")


def correction_changelogs(before: Iterable[ExampleReading], correction: ExampleReading,
                          pause_s: float = 5.0) -> dict[str, list]:
    """Run the readings through the job's own steps; the changelog rows of each step, in order.

    Parallelism 1, chaining off and one element per Python bundle, so that the readings before
    the correction are through every step, and their mini-batch emitted, during the pause
    before the correction enters the versions step (longer than the 1 s mini-batch).
    """
    from pyflink.common import Row, RowKind, Types
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    from jobs import hourly_region_means as job
    from settings import Settings
    from udfs.internal_rows import internal_rows, rows_table
    from udfs.jvm_functions import with_job_functions

    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    env.disable_operator_chaining()
    t_env = StreamTableEnvironment.create(env)
    settings = Settings()
    job.configure(t_env, settings)
    t_env.get_config().set("python.fn-execution.bundle.size", "1")

    reading_type = Types.ROW_NAMED(
        ["id", "event_ms", "lat", "lon", "temperature", "region", "watermark_ms"],
        [Types.STRING(), Types.LONG(), Types.DOUBLE(), Types.DOUBLE(), Types.DOUBLE(), Types.STRING(), Types.LONG()],
    )
    correction_key = (correction.id, utc_ms(correction.timestamp))

    def pause_before_the_correction(reading):
        if (reading.id, reading.event_ms) == correction_key:
            time.sleep(pause_s)
        return reading

    readings = env.from_collection([r.row() for r in (*before, correction)], type_info=reading_type).map(
        pause_before_the_correction, output_type=reading_type
    )
    contributions, _late = job.versioned_contributions(t_env, internal_rows(t_env, t_env.from_data_stream(readings)),
                                                       settings.job)
    stages = {"versions": t_env.to_data_stream(rows_table(t_env, contributions))}
    job.enable_mini_batches(t_env, settings)
    means = job.hourly_means(t_env, job.with_copies_three_hours_later(t_env, contributions))
    stages["means"] = t_env.to_changelog_stream(means)

    tagged_type = Types.ROW([Types.STRING(), Types.INT(), Types.STRING()])
    tagged = [
        stream.map(lambda row, stage=stage: Row(stage, row.get_row_kind().value, json.dumps(list(row))),
                   output_type=tagged_type)
        for stage, stream in stages.items()
    ]
    found: dict[str, list] = {stage: [] for stage in stages}
    with tagged[0].union(*tagged[1:]).execute_and_collect() as rows:
        for stage, kind, values in rows:
            found[stage].append((RowKind(kind), tuple(json.loads(values))))
    return found


@dataclass
class RecordingTables:
    """Stands in for ``results.writes.HourlyMeansTables``: records the statements."""

    statements: list[str] = field(default_factory=list)

    def upsert(self, hour, region, mean, readings, mean_3h_before, updated_at=None) -> None:
        before = "null" if mean_3h_before is None else f"{mean_3h_before:g}"
        self.statements.append(
            f"upsert ({hour:%H:%M}, {region}): mean {mean:g}, readings {readings}, 3h before {before}"
        )

    def delete(self, hour, region) -> None:
        self.statements.append(f"delete ({hour:%H:%M}, {region})")


def cassandra_writes(rows: list) -> list[str]:
    """What ``udfs.cassandra_writer.apply_change`` does with each row (one logged batch of both
    tables per upsert or delete)."""
    from udfs.cassandra_writer import apply_change

    tables, done = RecordingTables(), []
    for row, replaced_had_row in with_replaced(rows):
        applied = apply_change(tables, row, replaced_had_row)
        what = "skipped" if applied.outcome == "skipped" else tables.statements[-1]
        done.append(f"{kind_name(row.get_row_kind())} -> {what}")
    return done


def correction_report(
    before: tuple[ExampleReading, ...], correction: ExampleReading, changelogs: dict[str, list]
) -> str:
    """Each step's changelog, the rows the correction caused set apart, then the Cassandra writes."""
    lines = ["Readings (Bretagne, 2019-04-28), each judged against its partition watermark; allowed lateness 3 h:"]
    for reading in (*before, correction):
        note = f"   <- correction of {correction.id}" if reading is correction else ""
        lines.append(
            f"  {reading.id}  {reading.timestamp[11:]}  {reading.temperature:>4g} °C"
            f"   watermark {reading.watermark[11:]}{note}"
        )

    splits = {
        "versions": len(before),  # one contribution per new reading
        "means": after_the_state(changelogs["means"], expected_state(before)),
    }
    titles = {
        "versions": "versions by id: contributions (hour, region, value, weight: +1 adds it, -1 takes it back)",
        "means": "hourly means: each contribution in its hour and, as its 'before', three hours later;\n"
                 "GROUP BY hour, region (sums and counts of the own values and of the earlier ones)",
    }
    for stage, title in titles.items():
        rows = changelogs[stage]
        lines += ["", f"{title}", "  before the correction:"]
        lines += [f"    {row_text(kind, values)}" for kind, values in rows[: splits[stage]]]
        lines.append("  caused by the correction:")
        lines += [f"    {row_text(kind, values)}" for kind, values in rows[splits[stage] :]]

    lines += ["", "upsert into cassandra, for the rows caused by the correction:"]
    lines += [f"  {write}" for write in cassandra_writes(changelogs["means"][splits["means"] :])]
    lines += ["", "rows in Cassandra afterwards (both tables):"]
    for (hour, region), (mean, count, three_before) in sorted(upserted(changelogs["means"]).items()):
        shown = "null" if three_before is None else f"{three_before:g}"
        lines.append(f"  {hour_of(hour):%H:%M} {region}: mean {mean:g}, readings {count}, 3h before {shown}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.explain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="the job's plan: tasks, Mermaid, operators or the planner's text")
    plan.add_argument("--parallelism", type=int, default=2, help="default 2 (the Kubernetes deployment's)")
    plan.add_argument("--show", default="tasks",
                      help=f"comma-separated, among {', '.join(SHOW_CHOICES)} (default: tasks)")
    correction = commands.add_parser("correction", help="a correction moving a reading between hours, step by step")
    correction.add_argument("--scenario", choices=sorted(SCENARIOS), default="moves",
                            help="moves: 10:00 keeps another reading (default); empties: r1 was its only one")
    correction.add_argument("--pause", type=float, default=5.0, help="seconds before the correction enters (default 5)")
    args = parser.parse_args(argv)
    if args.command == "plan":
        show = [item.strip() for item in args.show.split(",") if item.strip()]
        unknown = sorted(set(show) - set(SHOW_CHOICES))
        if unknown:
            parser.error(f"--show: unknown {', '.join(unknown)} (choose among {', '.join(SHOW_CHOICES)})")
        print(explain_plan(args.parallelism, show))
    else:
        before, corrected = SCENARIOS[args.scenario]
        print(correction_report(before, corrected, correction_changelogs(before, corrected, args.pause)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
