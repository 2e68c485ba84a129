"""Print the id of the running Flink job with a given name (nothing if none), from the REST API."""

from __future__ import annotations

import json
import sys
import urllib.request

from settings import Settings


def running_job_id(rest_url: str, name: str) -> str | None:
    with urllib.request.urlopen(f"{rest_url}/jobs/overview", timeout=10) as response:
        jobs = json.load(response)["jobs"]
    running = [job["jid"] for job in jobs if job["name"] == name and job["state"] in ("RUNNING", "CREATED", "RESTARTING")]
    return running[0] if running else None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job_id = running_job_id(Settings.from_env().flink.rest_url, args[0] if args else Settings.from_env().job.name)
    if job_id is None:
        return 1
    print(job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
