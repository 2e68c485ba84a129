"""Bytes of the job's state per reading id, read from checkpoint sizes at known counts of ids.

    .venv/bin/python -m benchmarks.state_size [--ids 1000000] [--steps 4] [--parallelism 2]

Submits the job on a fresh topic and keyspace (checkpoints every 5 s), then sends ``--ids``
valid readings with distinct ids in ``--steps`` equal steps, their event times within the last
two hours so that no id expires during the run. After each step it waits until Cassandra counts
every reading sent and a checkpoint has completed after that, and notes the checkpoint's full
state size (``state_size`` of the REST API, all of RocksDB's files the checkpoint refers to) and
that of the versions task. The bytes per id are the slope of size against ids (least squares):
what does not grow with ids (the hourly rows, Kafka offsets, operator metadata) stays out.
Needs the local stack (make up).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from benchmarks import records
from ingest.loadgen import LoadJob, run_load
from readings.parser import epoch_ms_of
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for

VERSIONS_TASK = "versions by id"


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of y against x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if not spread:
        raise ValueError("a slope needs at least two different counts")
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def counted(run: PipelineRun) -> int:
    return sum(row.readings for row in run.table_rows()["region_hourly_temperature"])


def wait_until_counted(run: PipelineRun, readings: int) -> None:
    wait_for(f"{readings:,} readings counted", lambda: counted(run), lambda count: count >= readings, 600)


def checkpoint_after(run: PipelineRun, moment_ms: int) -> dict:
    """The first checkpoint completed after ``moment_ms`` (the REST API's latest completed one)."""
    def latest() -> dict:
        return run.rest(f"/jobs/{run.job_id}/checkpoints")["latest"].get("completed") or {}

    return wait_for("a checkpoint after the count", latest,
                    lambda found: found.get("trigger_timestamp", 0) > moment_ms, 120)


def versions_state_bytes(run: PipelineRun, checkpoint_id: int) -> int:
    """The state size of the task(s) holding the versions by id, in one checkpoint."""
    vertices = {vertex["id"]: vertex["name"] for vertex in run.rest(f"/jobs/{run.job_id}")["vertices"]}
    details = run.rest(f"/jobs/{run.job_id}/checkpoints/details/{checkpoint_id}")
    return sum(task["state_size"] for vertex_id, task in details["tasks"].items() if VERSIONS_TASK in vertices[vertex_id])


def send(run: PipelineRun, count: int, seed: int) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    job = LoadJob(kafka=run.settings.kafka, topic=run.settings.kafka.readings_topic, count=count,
                  start_ms=epoch_ms_of(start), span_ms=3_600_000, processes=1, client="confluent-kafka", seed=seed)
    summary = run_load(job, show_progress=False)
    if summary.acknowledged != count:
        raise SystemExit(f"state_size.py: Kafka acknowledged {summary.line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", type=int, default=1_000_000, help="distinct reading ids in all")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--parallelism", type=int, default=2)
    records.add_name_option(parser, "state_size")
    args = parser.parse_args()
    per_step = args.ids // args.steps
    run = PipelineRun.create("state", checkpoint_interval_s=5)
    run.submit(args.parallelism)
    total: list[tuple[int, float]] = []
    versions: list[tuple[int, float]] = []
    try:
        for step in range(1, args.steps + 1):
            send(run, per_step, seed=step)
            ids = step * per_step
            wait_until_counted(run, ids)
            checkpoint = checkpoint_after(run, int(time.time() * 1000))
            total.append((ids, checkpoint["state_size"]))
            versions.append((ids, versions_state_bytes(run, checkpoint["id"])))
            print(f"{ids:>10,} ids: checkpoint {checkpoint['id']}, state {total[-1][1] / 2**20:8.1f} MiB, "
                  f"versions task {versions[-1][1] / 2**20:8.1f} MiB", flush=True)
    finally:
        run.cancel()
        run.drop()
    per_id, versions_per_id = slope(total), slope(versions)
    print(f"bytes of state per id: {per_id:.0f} in all, {versions_per_id:.0f} in the versions task")
    records.write("state_size", {
        "parallelism": args.parallelism, "ids": [ids for ids, _ in total],
        "state_bytes": [size for _, size in total], "versions_task_bytes": [size for _, size in versions],
        "bytes_per_id": per_id, "versions_task_bytes_per_id": versions_per_id,
    }, name=args.record)


if __name__ == "__main__":
    main()
