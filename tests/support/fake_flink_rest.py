"""A stand-in for Flink 2.2's REST API, answering the few calls ``iot-submit`` makes, in Flink's shapes.

Field names are those of Flink 2.2.1's REST message classes (``JobDetailsInfo``,
``JobExceptionsInfoWithHistory``, ``ClusterOverview``, ``MultipleJobsDetails``); task states
are its ``ExecutionState`` names, job states its ``JobStatus`` names. Each ``GET /jobs/<id>``
answers the next snapshot of a script (the last one repeats), so a test plays a job's life.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.http_server import send_body

EXECUTION_STATES = ("CREATED", "SCHEDULED", "DEPLOYING", "RUNNING", "FINISHED", "CANCELING", "CANCELED", "FAILED",
                    "RECONCILING", "INITIALIZING")
JOB_ID = "4f1b0c7e2a9d4e3f8b6a5c4d3e2f1a0b"
JOB_NAME = "iot-hourly-region-means"
# What Flink's default scheduler records when a slot request times out (a CompletionException around it).
NO_SLOTS_TRACE = (
    "java.util.concurrent.CompletionException: org.apache.flink.runtime.jobmanager.scheduler.NoResourceAvailableException: "
    "Slot request bulk is not fulfillable! Could not allocate the required slot within slot request timeout\n"
    "\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable(CompletableFuture.java:332)\n"
)


@dataclass(frozen=True)
class Snapshot:
    """The job as one GET /jobs/<id> sees it: its state, its tasks per state, its exception history."""

    state: str
    tasks: dict[str, int] = field(default_factory=dict)
    exceptions: tuple[tuple[str, str], ...] = ()  # (exceptionName, stacktrace), newest first


def running(tasks: int = 4) -> Snapshot:
    return Snapshot("RUNNING", {"RUNNING": tasks})


class FakeFlinkRest:
    """Serves on 127.0.0.1 at ``self.address`` until stopped; ``requests`` lists the paths asked."""

    def __init__(self, script: list[Snapshot], slots_total: int = 2, slots_available: int = 0,
                 jobs: list[dict[str, Any]] | None = None) -> None:
        self.script = list(script)
        self.slots = (slots_total, slots_available)
        self.jobs = jobs or []
        self.requests: list[str] = []
        self._current = -1  # the snapshot the last GET /jobs/<id> answered
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        host, port = self._server.server_address[:2]
        self.address = f"{host!s}:{port}"

    def __enter__(self) -> FakeFlinkRest:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> tuple[int, Any]:
        self.requests.append(path)
        if path == "/jobs/overview":
            return 200, {"jobs": self.jobs}
        if path == "/overview":
            total, available = self.slots
            return 200, {"taskmanagers": 1, "slots-total": total, "slots-available": available, "jobs-running": 2,
                         "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0, "flink-version": "2.2.1",
                         "flink-commit": "b2a6f3c"}
        if path == f"/jobs/{JOB_ID}":
            self._current = min(self._current + 1, len(self.script) - 1)
            return 200, self._details(self.script[self._current])
        if path == f"/jobs/{JOB_ID}/exceptions":
            return 200, self._exceptions(self.script[max(self._current, 0)])
        return 404, {"errors": ["Not found: " + path]}

    @staticmethod
    def _details(snapshot: Snapshot) -> dict[str, Any]:
        tasks = {state: snapshot.tasks.get(state, 0) for state in EXECUTION_STATES}
        vertex = {"id": "cbc357ccb763df2852fee8c4fc7d55f2", "slotSharingGroupId": "a9ad5a1d5f4b6e0c", "name": "Source: readings",
                  "maxParallelism": 128, "parallelism": sum(tasks.values()), "status": snapshot.state, "start-time": -1,
                  "end-time": -1, "duration": -1, "tasks": tasks,
                  "metrics": {"read-bytes": 0, "read-bytes-complete": False, "write-bytes": 0}}
        return {"jid": JOB_ID, "name": JOB_NAME, "isStoppable": False, "state": snapshot.state, "job-type": "STREAMING",
                "start-time": 1714000000000, "end-time": -1, "duration": 1200, "maxParallelism": -1, "now": 1714000001200,
                "timestamps": {"INITIALIZING": 1714000000000, "CREATED": 1714000000050}, "vertices": [vertex],
                "status-counts": {snapshot.state: 1}, "plan": {"jid": JOB_ID, "name": JOB_NAME, "nodes": []}}

    @staticmethod
    def _exceptions(snapshot: Snapshot) -> dict[str, Any]:
        entries: list[dict[str, Any]] = [
            {"exceptionName": name, "stacktrace": trace, "timestamp": 1714000001000, "taskName": None,
             "endpoint": None, "taskManagerId": None, "failureLabels": {}, "concurrentExceptions": []}
            for name, trace in snapshot.exceptions
        ]
        return {"exceptionHistory": {"entries": entries, "truncated": False}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = fake.answer(self.path)
                send_body(self, json.dumps(body).encode(), status, "application/json; charset=UTF-8")

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
