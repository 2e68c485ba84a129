"""The bounded run: the streaming job itself, over the scratch topic, into a scratch keyspace, until it finishes.

The job is the stream's (``jobs/hourly_region_means.py``, submitted with ``flink run`` as
``iot-submit`` does); only its settings differ, through the same ``IOT_*`` variables: its topics
and keyspace are the run's own, its source stops at the offsets it finds at the start
(``IOT_JOB_BOUNDED``), the archive is off (it would archive the replay again) and the daily
statement is on when asked. Everything is named after one tag, so runs never meet and the
clean-up drops exactly what the run made.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from jobs.running_job import DONE, job_progress
from jobs.submit import JOBS, flink_run_command, submit
from settings import Settings

# The job waits for a checkpoint after its input ends, to commit its Kafka transactions: often, so it ends soon.
FLINK_OPTIONS = {"execution.checkpointing.interval": "5s"}


class BoundedRunFailed(RuntimeError):
    """The bounded job failed, was cancelled or did not finish in time; the message says which."""


@dataclass(frozen=True)
class Scratch:
    """The topics, keyspace, job name and consumer group of one backfill, all named ``tag``."""

    tag: str

    @classmethod
    def new(cls) -> Scratch:
        return cls(f"backfill-{uuid.uuid4().hex[:10]}")

    @property
    def readings_topic(self) -> str:
        return f"{self.tag}.readings"

    @property
    def other_topics(self) -> list[str]:
        """The job's dead letters, late readings and results, which a backfill keeps to itself."""
        return [f"{self.tag}.rejected", f"{self.tag}.late", f"{self.tag}.results"]

    @property
    def keyspace(self) -> str:
        return self.tag.replace("-", "_")

    def environ(self, base: Mapping[str, str], daily: bool) -> dict[str, str]:
        """The job's ``IOT_*`` variables for this run: ``base``, pointed at the scratch topics and keyspace."""
        rejected, late, results = self.other_topics
        return {
            **base,
            "IOT_KAFKA_READINGS_TOPIC": self.readings_topic,
            "IOT_KAFKA_REJECTED_TOPIC": rejected,
            "IOT_KAFKA_LATE_TOPIC": late,
            "IOT_KAFKA_RESULTS_TOPIC": results,
            "IOT_CASSANDRA_KEYSPACE": self.keyspace,
            "IOT_JOB_NAME": self.tag,
            "IOT_JOB_CONSUMER_GROUP": self.tag,
            "IOT_JOB_BOUNDED": "true",
            "IOT_JOB_DAILY_AGGREGATION": "true" if daily else "false",
            "IOT_ARCHIVE_ENABLED": "false",
        }

    def settings(self, base: Settings) -> Settings:
        """``base`` with the scratch keyspace: where the bounded run's rows are read from."""
        return replace(base, cassandra=replace(base.cassandra, keyspace=self.keyspace))


def submit_bounded_job(environ: dict[str, str], jobmanager: str, conf_dir: Path, python: str,
                       parallelism: int | None = None) -> str:
    """``flink run`` of the job with ``environ``; returns its id (``jobs.submit.SubmitFailed`` if not submitted)."""
    command = flink_run_command(JOBS["hourly"], jobmanager, python, parallelism, flink_options=FLINK_OPTIONS)
    return submit(command, conf_dir, environ)


def cancel_unless_done(rest_url: str, job_id: str) -> None:
    """Cancel the job if it still runs (a backfill interrupted or timed out), before its topics go."""
    if job_progress(rest_url, job_id).state not in DONE:
        request = urllib.request.Request(f"{rest_url}/jobs/{job_id}?mode=cancel", method="PATCH")
        with urllib.request.urlopen(request, timeout=10):
            pass


def wait_until_finished(rest_url: str, job_id: str, timeout_s: float, every_s: float = 2.0,
                        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
    """Return once the job is FINISHED; BoundedRunFailed when it ends otherwise or outlasts ``timeout_s``."""
    deadline = clock() + timeout_s
    while True:
        progress = job_progress(rest_url, job_id)
        if progress.state == "FINISHED":
            return
        if progress.state in ("FAILED", "CANCELED", "CANCELLING", "SUSPENDED"):
            failure = progress.failure or "no exception recorded"
            raise BoundedRunFailed(f"the backfill job {job_id} is {progress.state}: {failure}")
        if clock() >= deadline:
            failure = f"; newest failure: {progress.failure}" if progress.failure else ""
            raise BoundedRunFailed(f"the backfill job {job_id} has not finished after {timeout_s:g} s "
                                   f"(job {progress.state}, tasks: {progress.tasks_text()}{failure})")
        sleep(every_s)
