"""``iot-submit`` resumes the hourly job from the newest retained checkpoint of the same job name."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import submit
from jobs.checkpoints import SubmissionLog, newest_checkpoint

OLD, NEW = "a" * 32, "b" * 32


def checkpoint(root: Path, job_id: str, number: int, complete: bool = True) -> Path:
    path = root / "flink" / "checkpoints" / job_id / f"chk-{number}"
    path.mkdir(parents=True)
    if complete:
        (path / "_metadata").write_bytes(b"x")
    return path


def test_the_newest_complete_checkpoint_of_the_newest_job_that_has_one(tmp_path: Path) -> None:
    checkpoint(tmp_path, OLD, 9)
    checkpoint(tmp_path, NEW, 2)
    newest = checkpoint(tmp_path, NEW, 10)
    checkpoint(tmp_path, NEW, 11, complete=False)  # still being written, or abandoned
    directory = tmp_path / "flink" / "checkpoints"
    assert newest_checkpoint(directory, [OLD, NEW]) == newest
    assert newest_checkpoint(directory, [NEW, OLD]) == directory / OLD / "chk-9"
    assert newest_checkpoint(directory, ["c" * 32]) is None and newest_checkpoint(directory, []) is None


def test_the_log_keeps_ids_per_name(tmp_path: Path) -> None:
    log = SubmissionLog(tmp_path)
    log.record("iot/hourly", OLD)
    log.record("iot/hourly", NEW)
    assert log.job_ids("iot/hourly") == [OLD, NEW] and log.job_ids("other") == []


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    commands: list[list[str]] = []

    def fake_submit(command: list[str], conf_dir: Path) -> str:
        commands.append(command)
        return NEW

    monkeypatch.setattr(submit, "submit", fake_submit)
    monkeypatch.setattr(submit, "running_job_id", lambda rest_url, name: None)
    monkeypatch.setenv("IOT_JOB_NAME", "hourly-test")
    return commands


def test_a_resubmission_starts_from_the_last_job_s_checkpoint(tmp_path: Path, submitted: list[list[str]]) -> None:
    assert submit.main(["--var-dir", str(tmp_path)]) == 0  # nothing to resume from
    assert "--fromSavepoint" not in submitted[0]
    newest = checkpoint(tmp_path, NEW, 3)
    assert submit.main(["--var-dir", str(tmp_path)]) == 0
    assert submitted[1][submitted[1].index("--fromSavepoint") + 1] == str(newest)
    assert submit.main(["--var-dir", str(tmp_path), "--fresh"]) == 0
    assert "--fromSavepoint" not in submitted[2]
    assert submit.main(["--var-dir", str(tmp_path), "--from-savepoint", "/sp/1"]) == 0
    assert submitted[3][submitted[3].index("--fromSavepoint") + 1] == "/sp/1"


def test_a_second_job_of_the_same_name_is_refused(tmp_path: Path, submitted: list[list[str]], monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(submit, "running_job_id", lambda rest_url, name: OLD)
    assert submit.main(["--var-dir", str(tmp_path)]) == 1
    assert not submitted and f"already running as {OLD}" in capsys.readouterr().err


def test_an_unreachable_cluster_is_a_clear_error(tmp_path: Path, submitted: list[list[str]], monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def refused(rest_url: str, name: str) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(submit, "running_job_id", refused)
    assert submit.main(["--var-dir", str(tmp_path), "--jobmanager", "127.0.0.1:1"]) == 1
    assert "cannot reach Flink's REST API at 127.0.0.1:1" in capsys.readouterr().err
