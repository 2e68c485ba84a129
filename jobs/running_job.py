"""What Flink's REST API says about our jobs: the running job of a name, and whether a submitted job really runs.

``flink run --detached`` returns as soon as the cluster accepted the job, slots or not: a job
whose tasks wait for slots another job holds sits in CREATED, or RUNNING with its tasks
SCHEDULED, then RESTARTING with a NoResourceAvailableException, for as long as nobody looks.
``wait_until_running`` looks, so ``iot-submit`` can say so within a minute.

As a command, prints the id of the running job with a given name (nothing, exit 1, if none).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from settings import Settings, values
from settings.command_line import UsageError, reports_usage_errors

# A job of these states holds its name: a second one would share its consumer group and sinks.
ALIVE = ("INITIALIZING", "CREATED", "RUNNING", "FAILING", "RESTARTING", "RECONCILING")
# Task states before a slot is assigned: tasks still in them wait for a TaskManager slot.
WAITING_FOR_SLOT = ("CREATED", "SCHEDULED")
DONE = ("FAILED", "CANCELED", "CANCELLING", "FINISHED", "SUSPENDED")
SLOT_SHORTAGE = "NoResourceAvailableException"
MAX_ANSWER_BYTES = 16 << 20


class NotFlinkRest(UsageError):
    """What answers at the address is not Flink's REST API (a wrong --jobmanager)."""


class NotRunning(RuntimeError):
    """The submitted job does not run with all its tasks: the message says why, on one line."""


def rest_get(rest_url: str, path: str, timeout_s: float = 10.0) -> Any:
    """The JSON of ``GET rest_url + path``.

    OSError when nothing answers (or with an HTTP error status); NotFlinkRest when the answer
    is not JSON, as from a web server or a metrics port that is not Flink's REST API.
    """
    with urllib.request.urlopen(f"{rest_url}{path}", timeout=timeout_s) as response:
        body = response.read(MAX_ANSWER_BYTES + 1)
    try:
        if len(body) > MAX_ANSWER_BYTES:
            raise ValueError("answer too large")
        return json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotFlinkRest(f"{rest_url} is not Flink's REST API: GET {path} did not answer JSON") from None


def running_job_id(rest_url: str, name: str) -> str | None:
    """The id of the job called ``name`` that is not finished, or None."""
    try:
        overview = rest_get(rest_url, "/jobs/overview")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise NotFlinkRest(f"{rest_url} is not Flink's REST API: GET /jobs/overview answered 404") from None
        raise
    jobs = overview.get("jobs") if isinstance(overview, dict) else None
    if not isinstance(jobs, list) or not all(isinstance(job, dict) and {"jid", "name", "state"} <= job.keys() for job in jobs):
        raise NotFlinkRest(f"{rest_url} is not Flink's REST API: GET /jobs/overview has no list of jobs")
    alive = [job["jid"] for job in jobs if job["name"] == name and job["state"] in ALIVE]
    return alive[0] if alive else None


@dataclass(frozen=True)
class JobProgress:
    """A job's state, its tasks counted by state, and the newest failure of its exception history."""

    state: str
    tasks: Counter[str] = field(default_factory=Counter)
    failure: str = ""  # the first line of the newest failure's stack trace (its exception and message)
    short_of_slots: bool = False  # a NoResourceAvailableException is in the history

    @property
    def all_running(self) -> bool:
        total = sum(self.tasks.values())
        return self.state == "RUNNING" and total > 0 and self.tasks["RUNNING"] + self.tasks["FINISHED"] == total

    @property
    def waiting_for_slots(self) -> int:
        return sum(self.tasks[state] for state in WAITING_FOR_SLOT)

    def tasks_text(self) -> str:
        return ", ".join(f"{count} {state}" for state, count in sorted(self.tasks.items()) if count) or "no tasks yet"


def job_progress(rest_url: str, job_id: str) -> JobProgress:
    """From ``/jobs/<id>`` (state, ``vertices[].tasks``) and ``/jobs/<id>/exceptions`` (``exceptionHistory``)."""
    details = rest_get(rest_url, f"/jobs/{job_id}")
    tasks: Counter[str] = Counter()
    for vertex in details.get("vertices", []):
        tasks.update({state: count for state, count in vertex.get("tasks", {}).items() if isinstance(count, int)})
    entries = rest_get(rest_url, f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries", [])
    traces = [f"{entry.get('exceptionName', '')}\n{entry.get('stacktrace', '')}" for entry in entries]
    newest = entries[0] if entries else {}
    first_line = str(newest.get("stacktrace", "")).partition("\n")[0]
    return JobProgress(
        state=str(details.get("state", "UNKNOWN")),
        tasks=tasks,
        failure=values.one_line(first_line or str(newest.get("exceptionName", "")), limit=300),
        short_of_slots=any(SLOT_SHORTAGE in trace for trace in traces),
    )


def free_slots(rest_url: str) -> str:
    """``0 of 2 slots free`` from ``/overview``."""
    overview = rest_get(rest_url, "/overview")
    return f"{overview.get('slots-available', '?')} of {overview.get('slots-total', '?')} slots free"


def wait_until_running(
    rest_url: str,
    job_id: str,
    timeout_s: float = 60.0,
    every_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once every task of the job runs; NotRunning as soon as it cannot, or after ``timeout_s``.

    It cannot when it is done (failed, cancelled) or when Flink reported it short of slots;
    after the timeout, the message says which tasks still wait and for what.
    """
    deadline = clock() + timeout_s
    stays = f"the job stays submitted (flink cancel {job_id} cancels it)"
    while True:
        progress = job_progress(rest_url, job_id)
        if progress.all_running:
            return
        if progress.state in DONE:
            raise NotRunning(f"job {job_id} is {progress.state}: {progress.failure or 'no exception recorded'}")
        late = clock() >= deadline
        if progress.short_of_slots or (late and progress.waiting_for_slots):
            raise NotRunning(f"job {job_id} is not running for lack of task slots ({free_slots(rest_url)}; job "
                             f"{progress.state}, tasks: {progress.tasks_text()}): free slots (does another job "
                             f"hold them?) or lower --parallelism; {stays}")
        if late:
            failure = f"; newest failure: {progress.failure}" if progress.failure else ""
            raise NotRunning(f"job {job_id} is not running after {timeout_s:g} s (job {progress.state}, "
                             f"tasks: {progress.tasks_text()}{failure}); {stays}")
        sleep(every_s)


@reports_usage_errors("jobs.running_job")
def main(argv: list[str] | None = None) -> int:
    """Exit 0 with the id printed; 1 when no job of the name runs or Flink cannot be reached (said on stderr)."""
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    try:
        job_id = running_job_id(settings.flink.rest_url, args[0] if args else settings.job.name)
    except OSError as error:
        print(f"jobs.running_job: cannot reach Flink's REST API at {settings.flink.rest_url}: {error}", file=sys.stderr)
        return 1
    if job_id is None:
        return 1
    print(job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
