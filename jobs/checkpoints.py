"""Where a resubmitted job takes its state from: the newest retained checkpoint of the same job name.

Flink keeps checkpoints per job id (``<dir>/<job id>/chk-<n>``), and a new submission gets a
new id; so ``iot-submit`` notes the id of each job it submits under the job's name, and a later
submission of that name resumes from the newest complete checkpoint among them. Without it a
resubmitted job would start with empty state: forgotten ids would count a later correction
twice and hours in progress would be rewritten from the readings read since.
"""

from __future__ import annotations

import re
from pathlib import Path

_CHECKPOINT = re.compile(r"chk-(\d+)")


class SubmissionLog:
    """The ids of the jobs submitted under each name, oldest first, one file per name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, job_name: str) -> Path:
        return self.directory / f"{re.sub(r'[^A-Za-z0-9._-]', '_', job_name)}.ids"

    def record(self, job_name: str, job_id: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._file(job_name).open("a") as out:
            out.write(job_id + "\n")

    def job_ids(self, job_name: str) -> list[str]:
        path = self._file(job_name)
        return path.read_text().split() if path.exists() else []


def newest_checkpoint(checkpoint_dir: Path, job_ids: list[str]) -> Path | None:
    """The newest complete checkpoint (its ``_metadata`` written) of the newest job that has one."""
    for job_id in reversed(job_ids):
        complete = [
            (int(match.group(1)), path)
            for path in (checkpoint_dir / job_id).glob("chk-*")
            if (match := _CHECKPOINT.fullmatch(path.name)) and (path / "_metadata").is_file()
        ]
        if complete:
            return max(complete)[1]
    return None
