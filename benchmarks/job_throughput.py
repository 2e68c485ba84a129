"""Throughput of the streaming job: readings per second from a pre-filled topic to final Cassandra rows.

For each variant (the job; the same job with its Python UDF replaced by SQL; the job without its
archive; the floor, plain Flink SQL doing the same core work, ``benchmarks/plain_sql_floor.py``),
in one run: pre-fill a
fresh topic with ``--count`` valid readings (iot-loadgen's generator), submit the variant with
``flink run`` at ``--parallelism``, and time from RUNNING until the Cassandra tables count every
reading (the floor: until it has read the topic to its end and finished). The job's rate is
judged by its ratio to the floor's, measured in the same run. Each variant first runs
``--warmup-runs`` times unmeasured, so the measured runs find the cluster's shared libraries
compiled by the JIT, as a cluster that has run a while has them; each job's own code (its
generated operators, its JVM functions) is still compiled within every run, and the CPU of the
TaskManager's JIT compiler threads is reported apart. While it runs, the busy time of each operator chain is sampled
from the REST API, and the CPU time of each kind of process (Flink's JVM, the Python workers,
Kafka, Cassandra) is read from /proc, which together show where the time goes; with
``--profile-seconds`` a JFR profile of the TaskManager says which code. The profile slows the
job, so the rates of such a run are not the figures to quote. Needs the local stack (make up).

    .venv/bin/python -m benchmarks.job_throughput --count 1000000 --parallelism 2 --runs 3
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from benchmarks import records
from benchmarks.jvm_profile import record, summary
from benchmarks.process_cpu import cpu_seconds_by_role, spent_since, taskmanager_jit_seconds
from ingest.loadgen import LoadJob, run_load
from jobs.running_job import NotRunning
from jobs.submit import JOBS, ROOT
from readings.parser import epoch_ms_of
from results.session import connect
from settings import values
from testkit.pipeline_run import PipelineRun

FLOOR = "plain Flink SQL floor"


@dataclass(frozen=True)
class Variant:
    """What ``flink run`` submits, and the settings (``IOT_*``) it runs with beyond the run's own."""

    job: Path
    record_key: str
    overrides: Mapping[str, str] = field(default_factory=dict)


VARIANTS = {
    "job": Variant(JOBS["hourly"], "job"),
    "job without Python UDF": Variant(ROOT / "benchmarks" / "job_without_python_udf.py", "job_without_python_udf"),
    "job without archive": Variant(JOBS["hourly"], "job_without_archive", {"IOT_ARCHIVE_ENABLED": "false"}),
    FLOOR: Variant(ROOT / "benchmarks" / "plain_sql_floor.py", "floor"),
}
# The variants the job is compared with, run by run, in the record and the report.
BASELINES = ("job without Python UDF", "job without archive", FLOOR)


@dataclass
class Measurement:
    variant: str
    readings: int
    seconds: float
    busy_share: dict[str, float]
    cpu_seconds: dict[str, float]
    profile: list[str]
    jit_seconds: float = 0.0
    """The TaskManager's JIT compiler threads, a part of its JVM's ``cpu_seconds``."""

    @property
    def rate(self) -> float:
        return self.readings / self.seconds


def prefill(run: PipelineRun, count: int) -> float:
    """One producer, so the topic is in event-time order: two would interleave hours apart and
    the job would rightly send one's readings to the late topic."""
    start = datetime.now(UTC) - timedelta(hours=25)
    job = LoadJob(
        kafka=run.settings.kafka, topic=run.settings.kafka.readings_topic, count=count,
        start_ms=epoch_ms_of(start), span_ms=24 * 3_600_000, processes=1, client="confluent-kafka", seed=1,
    )
    summary = run_load(job, show_progress=False)
    assert summary.acknowledged == count, summary.line()
    return summary.seconds


# The end is found to half a second (a run lasts about 40 s); the busy times are sampled, and the
# progress printed, less often.
COUNT_EVERY_S = 0.5
PROGRESS_EVERY_S = 5.0


class CountedReadings:
    """The readings the hourly table counts, read on one session for the whole run: a session per
    poll (every 0.5 s; the driver's connect reads the cluster's schema and peers) made Cassandra and
    this process spend CPU beside the job's, which the floor's end (the REST API) did not."""

    def __init__(self, run: PipelineRun) -> None:
        self.session = connect(run.settings.cassandra)
        keyspace = values.keyspace_name(run.settings.cassandra.keyspace)
        self.query = self.session.prepare(f"SELECT readings FROM {keyspace}.region_hourly_temperature")

    def __call__(self) -> int:
        return sum(row.readings for row in self.session.execute(self.query))

    def close(self) -> None:
        self.session.cluster.shutdown()


class FlinkJob(Protocol):
    """What ``finished_seconds`` reads of a run: its job through the REST API."""

    @property
    def job_id(self) -> str | None: ...

    def rest(self, path: str) -> dict: ...


def finished_seconds(run: FlinkJob) -> float | None:
    """RUNNING to FINISHED by the REST API's clock, once the bounded floor job has finished."""
    job = run.rest(f"/jobs/{run.job_id}")
    if job["state"] != "FINISHED":
        return None
    return (job["timestamps"]["FINISHED"] - job["timestamps"]["RUNNING"]) / 1000


def sample_busy(run: PipelineRun, totals: dict[str, list[float]]) -> None:
    for vertex in run.rest(f"/jobs/{run.job_id}")["vertices"]:
        metrics = run.rest(f"/jobs/{run.job_id}/vertices/{vertex['id']}/subtasks/metrics?get=busyTimeMsPerSecond&agg=avg")
        for metric in metrics:
            share = float(metric["avg"]) / 1000
            if not math.isnan(share):  # a subtask that has not reported its busy time yet
                totals[vertex["name"]].append(share)


def measure(variant: str, count: int, parallelism: int, profile_s: float = 0) -> Measurement:
    run = PipelineRun.create("bench", checkpoint_interval_s=None)
    print(f"[{variant}] pre-filling {count:,} readings in {prefill(run, count):.0f} s", flush=True)
    counted = CountedReadings(run)
    cpu_before, jit_before = cpu_seconds_by_role(), taskmanager_jit_seconds()
    busy: dict[str, list[float]] = defaultdict(list)
    profile: list[str] = []
    try:
        run.submit(parallelism, job=VARIANTS[variant].job, overrides=VARIANTS[variant].overrides)
        started = time.monotonic()
        if profile_s:
            time.sleep(10)  # past the start of the Python workers
            profile = summary(record(profile_s))
        reported = 0.0
        while True:
            if variant == FLOOR:
                seconds = finished_seconds(run)
                done, progress = (count, "finished") if seconds else (0, "running")
            else:
                done = counted()
                seconds, progress = time.monotonic() - started, f"{done:,} / {count:,} counted"
            if done >= count:
                break
            if time.monotonic() - reported >= PROGRESS_EVERY_S:
                reported = time.monotonic()
                sample_busy(run, busy)
                print(f"[{variant}] {progress} after {reported - started:.0f} s", flush=True)
            time.sleep(COUNT_EVERY_S)
        cpu, jit = spent_since(cpu_before, cpu_seconds_by_role()), taskmanager_jit_seconds() - jit_before
    finally:
        counted.close()
        run.cancel()
        run.drop()
    assert seconds is not None, "the loop ends only once the floor's run finished"
    return Measurement(variant, count, seconds, {name: sum(v) / len(v) for name, v in busy.items() if v}, cpu, profile, jit)


def figures(runs: list[list[Measurement]], parallelism: int, warmup_runs: int = 0) -> dict:
    """The record of ``runs`` (each a list of variants measured in turn): per variant, each run's rate
    and CPU per reading and their medians; the job's ratio to the others in each run; the job per slot."""
    by_variant: dict[str, list[Measurement]] = defaultdict(list)
    for run in runs:
        for result in run:
            by_variant[result.variant].append(result)

    def per_reading_us(results: list[Measurement], role: str) -> list[float]:
        return [result.cpu_seconds.get(role, 0.0) * 1e6 / result.readings for result in results]

    recorded: dict = {"parallelism": parallelism, "runs": len(runs), "warmup_runs": warmup_runs}
    for variant, results in by_variant.items():
        rates = [result.rate for result in results]
        recorded[VARIANTS[variant].record_key] = {
            "readings": results[0].readings,
            "rates": rates, "rate": statistics.median(rates),
            "taskmanager_us_per_reading": statistics.median(per_reading_us(results, "Flink TaskManager (JVM)")),
            "python_us_per_reading": statistics.median(per_reading_us(results, "Python workers")),
            "taskmanager_us_per_reading_runs": per_reading_us(results, "Flink TaskManager (JVM)"),
            "taskmanager_jit_us_per_reading_runs": [result.jit_seconds * 1e6 / result.readings for result in results],
            "python_us_per_reading_runs": per_reading_us(results, "Python workers"),
            "cassandra_us_per_reading_runs": per_reading_us(results, "Cassandra"),
            # Every process of the stack, so the budget of a rate can be read: on 2 cores, a rate of R
            # readings/s leaves 2e6 / R µs per reading for all of them together.
            "all_processes_us_per_reading_runs": [sum(result.cpu_seconds.values()) * 1e6 / result.readings
                                                  for result in results],
        }
        recorded[VARIANTS[variant].record_key]["all_processes_us_per_reading"] = statistics.median(
            recorded[VARIANTS[variant].record_key]["all_processes_us_per_reading_runs"])
    if "job" in by_variant:
        recorded["job_per_slot"] = recorded["job"]["rate"] / parallelism
        for other in (name for name in BASELINES if name in by_variant):
            ratios = [job.rate / that.rate for job, that in zip(by_variant["job"], by_variant[other], strict=True)]
            recorded[f"ratio_job_to_{VARIANTS[other].record_key}"] = {"runs": ratios, "median": statistics.median(ratios),
                                                               "min": min(ratios), "max": max(ratios)}
    return recorded


def report(results: list[Measurement], count: int, parallelism: int) -> None:
    print(f"\n{count:,} readings, parallelism {parallelism}, from RUNNING to all counted in Cassandra:")
    for result in results:
        print(f"  {result.variant:<24} {result.seconds:8.1f} s  {result.rate:10,.0f} readings/s")
        for name, share in sorted(result.busy_share.items(), key=lambda item: -item[1]):
            print(f"      busy {share:6.1%}  {name[:110]}")
        total = sum(result.cpu_seconds.values())
        print(f"      CPU {total:.0f} s of {2 * result.seconds:.0f} s on 2 cores, by process (µs per reading):")
        for role, spent in sorted(result.cpu_seconds.items(), key=lambda item: -item[1]):
            print(f"      cpu {spent / total:6.1%}  {role:<24} {spent * 1e6 / result.readings:8.1f}")
        print(f"      of which the TaskManager's JIT compilers {result.jit_seconds * 1e6 / result.readings:8.1f}")
        for line in result.profile:
            print(f"      {line[:130]}")
    rates = {result.variant: result.rate for result in results}
    for other in (name for name in BASELINES if name in rates):
        if "job" in rates:
            print(f"  ratio job / {other}: {rates['job'] / rates[other]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--runs", type=int, default=1, help="measure the variants this many times, in turn")
    parser.add_argument("--warmup-runs", type=int, default=1,
                        help="run each variant this many times first, unmeasured (the cluster's libraries get compiled)")
    parser.add_argument("--profile-seconds", type=float, default=0,
                        help="record a JFR profile of the TaskManager for this long, 10 s into each run")
    records.add_name_option(parser, "job_throughput")
    args = parser.parse_args()
    runs = []
    try:
        for _ in range(args.warmup_runs):
            for variant in args.variants:
                warmup = measure(variant, args.count, args.parallelism)
                print(f"[{variant}] warm-up run, not measured: {warmup.rate:,.0f} readings/s", flush=True)
        for _ in range(args.runs):
            runs.append([measure(variant, args.count, args.parallelism, args.profile_seconds) for variant in args.variants])
            report(runs[-1], args.count, args.parallelism)
    except NotRunning as error:
        sys.exit(f"job_throughput.py: the benchmark's job cannot run, nothing measured: {error}")
    if args.profile_seconds:
        print("a profiled run is slowed by its profile: no record written")
    else:
        records.write("job_throughput", figures(runs, args.parallelism, args.warmup_runs), name=args.record)


if __name__ == "__main__":
    main()
