"""One isolated run of the whole pipeline on the real stack: its own topics, keyspace and job.

Used by the end-to-end tests and the benchmarks, so runs never see each other's data.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from kafka import KafkaConsumer, KafkaProducer

from infra.provision import delete_topics, ensure_schema, ensure_topics
from infra.topic_reader import read_partitions
from jobs.running_job import wait_until_running
from jobs.submit import JOBS, ROOT, flink_run_command, submit
from oracle import SentMessage
from results.reads import read_whole_tables
from results.rows import ResultRow
from results.session import connect
from settings import Settings
from testkit.waiting import wait_for

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
CHECKPOINTS = ROOT / "var" / "flink" / "checkpoints"  # flink-conf/config.yaml's, as scripts/stack.sh renders it


@dataclass
class PipelineRun:
    settings: Settings
    env: dict[str, str]
    # Keys of flink-conf/config.yaml this run's job overrides (``flink run -D``).
    flink_options: dict[str, str] = field(default_factory=dict)
    job_id: str | None = None
    # Every job and savepoint of the run, for drop().
    job_ids: list[str] = field(default_factory=list)
    savepoints: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, prefix: str = "e2e", checkpoint_interval_s: int | None = 5) -> PipelineRun:
        """Fresh topics, keyspace, job name and consumer group named ``<prefix>-<random tag>``;
        tests checkpoint every 5 s, benchmarks (``checkpoint_interval_s=None``) keep flink-conf's."""
        tag = f"{prefix}-{uuid.uuid4().hex[:10]}"
        env = {
            **os.environ,
            "IOT_KAFKA_READINGS_TOPIC": f"{tag}.readings",
            "IOT_KAFKA_REJECTED_TOPIC": f"{tag}.rejected",
            "IOT_KAFKA_LATE_TOPIC": f"{tag}.late",
            "IOT_KAFKA_RESULTS_TOPIC": f"{tag}.results",
            "IOT_CASSANDRA_KEYSPACE": tag.replace("-", "_"),
            "IOT_JOB_NAME": tag,
            "IOT_JOB_CONSUMER_GROUP": tag,
            "IOT_ARCHIVE_PATH": str(ROOT / "var" / "archive-runs" / tag),
        }
        flink_options = {} if checkpoint_interval_s is None else {"execution.checkpointing.interval": f"{checkpoint_interval_s}s"}
        run = cls(Settings.from_env(env), env, flink_options)
        ensure_topics(run.settings.kafka)
        ensure_schema(run.settings.cassandra)
        return run

    def submit(self, parallelism: int = 1, savepoint: str | None = None, job: Path = JOBS["hourly"],
               workers_python: Path = VENV_PYTHON, overrides: Mapping[str, str] | None = None) -> str:
        """``flink run`` of ``job`` with this run's settings (and ``overrides``), its Python workers
        on ``workers_python`` (the client on the project's venv); waits until every task runs.

        ``jobs.running_job.NotRunning`` as soon as the job cannot run (e.g. another job holds the
        slots), rather than a run that counts nothing while its job waits.
        """
        env = {**self.env, **(overrides or {})}
        command = flink_run_command(job, "127.0.0.1:8081", str(workers_python), parallelism, savepoint,
                                    flink_options=self.flink_options, client_python=str(VENV_PYTHON))
        self.job_id = submit(command, ROOT / "var" / "flink" / "conf", env)
        self.job_ids.append(self.job_id)
        wait_until_running(self.settings.flink.rest_url, self.job_id, timeout_s=120)
        return self.job_id

    def rest(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.settings.flink.rest_url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def job_state(self) -> str:
        return self.rest(f"/jobs/{self.job_id}")["state"]

    def cancel(self) -> None:
        if self.job_id and self.job_state() not in ("CANCELED", "FAILED", "FINISHED"):
            self.rest(f"/jobs/{self.job_id}?mode=cancel", method="PATCH")
            wait_for("the job to stop", self.job_state, lambda s: s in ("CANCELED", "FAILED"), 60)

    def stop_with_savepoint(self, timeout_s: float = 120) -> str:
        """``flink stop``: a savepoint, then the job finishes; returns the savepoint's location."""
        directory = (ROOT / "var" / "flink" / "savepoints").as_uri()
        trigger = self.rest(f"/jobs/{self.job_id}/stop", method="POST", body={"targetDirectory": directory, "drain": False})
        status = wait_for(
            "the savepoint", lambda: self.rest(f"/jobs/{self.job_id}/savepoints/{trigger['request-id']}"),
            lambda found: found["status"]["id"] == "COMPLETED", timeout_s,
        )
        operation = status["operation"]
        if "failure-cause" in operation:
            raise AssertionError(f"the savepoint failed: {operation['failure-cause']}"[:4000])
        wait_for("the job to finish", self.job_state, lambda state: state == "FINISHED", 60)
        self.savepoints.append(operation["location"])
        return operation["location"]

    def produce(self, messages: list[bytes], partition: int | None = None) -> list[SentMessage]:
        """Send in order, keyed by the reading's id like the poller (or all to one ``partition``);
        returns what the broker stamped."""
        producer = KafkaProducer(acks="all", linger_ms=5, **self.settings.kafka.client_options())
        futures = [
            producer.send(self.settings.kafka.readings_topic, key=reading_key(message), value=message, partition=partition)
            for message in messages
        ]
        producer.flush()
        stamped = [(message, future.get(timeout=30)) for message, future in zip(messages, futures, strict=True)]
        sent = [SentMessage(message, meta.timestamp, meta.partition) for message, meta in stamped]
        producer.close()
        return sent

    def sent_messages(self) -> list[SentMessage]:
        """What the readings topic holds, as the oracle takes it: each partition in offset order."""
        kafka = self.settings.kafka
        return [SentMessage(record.value, record.timestamp, record.partition)
                for records in read_partitions(kafka, kafka.readings_topic) for record in records]

    def read_topic(self, topic: str) -> list[tuple[bytes | None, bytes]]:
        """Every committed record of ``topic`` (the job writes its dead letters in transactions)."""
        consumer = KafkaConsumer(
            topic, auto_offset_reset="earliest", isolation_level="read_committed", consumer_timeout_ms=3000,
            group_id=None, **self.settings.kafka.client_options(),
        )
        records = [(record.key, record.value) for record in consumer]
        consumer.close()
        return records

    def table_rows(self) -> dict[str, list[ResultRow]]:
        """Every row of both results tables, by table name; a row at an hour no datetime holds fails."""
        session = connect(self.settings.cassandra)
        try:
            whole = read_whole_tables(session, self.settings.cassandra.keyspace)
        finally:
            session.cluster.shutdown()
        unshowable = {table: hours for table, hours in whole.unshowable_hours.items() if hours}
        if unshowable:
            raise AssertionError(f"rows at hours outside the years 1 to 9999 (epoch ms): {unshowable}"[:4000])
        return whole.rows

    def drop(self) -> None:
        """Remove what the run made: its keyspace, archive and topics, and its jobs' checkpoints and
        savepoints, which the cluster keeps when a job is cancelled (flink-conf/config.yaml): left
        there, a day of benchmarks filled this machine's disk."""
        session = connect(self.settings.cassandra)
        try:
            session.execute(f"DROP KEYSPACE IF EXISTS {self.settings.cassandra.keyspace}", timeout=60)
        finally:
            session.cluster.shutdown()
        shutil.rmtree(self.settings.archive.path, ignore_errors=True)
        delete_topics(self.settings.kafka, list(self.settings.kafka.topics))
        for job_id in self.job_ids:
            shutil.rmtree(CHECKPOINTS / job_id, ignore_errors=True)
        for savepoint in self.savepoints:
            shutil.rmtree(urlparse(savepoint).path, ignore_errors=True)


def reading_key(message: bytes) -> bytes | None:
    try:
        body = json.loads(message)
    except ValueError:
        return None
    reading_id = body.get("id") if isinstance(body, dict) else None
    return reading_id.encode() if isinstance(reading_id, str) and 0 < len(reading_id) <= 128 else None
