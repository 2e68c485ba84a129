"""``iot-submit``: the ``flink run`` command it builds, its resume from the newest retained
checkpoint of the same job name (``jobs.checkpoints``), and its exit when the job it submitted
does not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import submit
from jobs.checkpoints import SubmissionLog, newest_checkpoint
from tests.support.fake_flink_rest import JOB_ID, NO_SLOTS_TRACE, FakeFlinkRest, Snapshot, running

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


def flink_conf(var_dir: Path) -> Path:
    """The conf folder scripts/stack.sh renders, as iot-submit expects to find it."""
    conf = var_dir / "flink" / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.yaml").write_text("rest:\n  port: 8081\n", encoding="utf-8")
    return conf


@pytest.fixture
def submitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    commands: list[list[str]] = []

    def fake_submit(command: list[str], conf_dir: Path) -> str:
        commands.append(command)
        return NEW

    flink_conf(tmp_path)
    monkeypatch.setattr(submit, "submit", fake_submit)
    monkeypatch.setattr(submit, "running_job_id", lambda rest_url, name: None)
    monkeypatch.setattr(submit, "wait_until_running", lambda rest_url, job_id, timeout_s: None)
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
    savepoint = tmp_path / "savepoint-1"
    savepoint.mkdir()
    assert submit.main(["--var-dir", str(tmp_path), "--from-savepoint", str(savepoint)]) == 0
    assert submitted[3][submitted[3].index("--fromSavepoint") + 1] == str(savepoint)


def test_a_checkpoint_of_another_plan_is_refused_with_what_to_do(
        tmp_path: Path, submitted: list[list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    newest = checkpoint(tmp_path, NEW, 3)
    SubmissionLog(tmp_path / "flink" / "submitted").record("hourly-test", NEW)

    def refused(command: list[str], conf_dir: Path) -> str:
        raise submit.SubmitFailed("flink run failed (exit 1):\n... java.lang.IllegalStateException: Failed to rollback "
                                  "to checkpoint/savepoint. Cannot map checkpoint/savepoint state for operator 1a2b "
                                  "to the new program, because the operator is not available in the new program.")

    monkeypatch.setattr(submit, "submit", refused)
    assert submit.main(["--var-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{newest} holds the state of another plan" in err and "--fresh" in err and "Replay" in err


def test_another_failure_gets_no_advice_about_plans() -> None:
    failed = submit.SubmitFailed("flink run failed (exit 1): connection refused")
    assert submit.unrestorable_advice(failed, "/var/chk-3") is None
    assert submit.unrestorable_advice(submit.SubmitFailed(submit.UNMAPPED_STATE), None) is None


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


def run_submit(var_dir: Path, flink: FakeFlinkRest, *args: str) -> int:
    return submit.main(["--var-dir", str(var_dir), "--jobmanager", flink.address, *args])


def test_the_command_exits_3_in_one_line_when_its_job_gets_no_slots(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    flink_conf(tmp_path)
    monkeypatch.setattr(submit, "submit", lambda command, conf_dir: JOB_ID)
    restarting = Snapshot("RESTARTING", {"CREATED": 4}, (("org.apache.flink.runtime.jobmanager.scheduler."
                                                          "NoResourceAvailableException", NO_SLOTS_TRACE),))
    with FakeFlinkRest([restarting]) as flink:
        assert run_submit(tmp_path, flink, "--job", "smoke") == submit.EXIT_NOT_RUNNING
    out, err = capsys.readouterr()
    assert out == JOB_ID + "\n"  # the id first: the job exists, whatever follows
    assert err.count("\n") == 1 and err.startswith(f"iot-submit: job {JOB_ID} is not running for lack of task slots")


def test_the_command_exits_0_once_its_job_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    flink_conf(tmp_path)
    monkeypatch.setattr(submit, "submit", lambda command, conf_dir: JOB_ID)
    with FakeFlinkRest([Snapshot("RUNNING", {"DEPLOYING": 2}), running(2)]) as flink:
        assert run_submit(tmp_path, flink, "--fresh") == 0
    assert capsys.readouterr() == (JOB_ID + "\n", "")
    assert SubmissionLog(tmp_path / "flink" / "submitted").job_ids("iot-hourly-region-means") == [JOB_ID]


def test_flink_run_command_ships_packages_and_connector() -> None:
    command = submit.flink_run_command(
        submit.JOBS["smoke"], "jm:8081", "/venv/python", parallelism=2, savepoint="file:///sp", job_args=["--topic", "t"]
    )
    assert command[1:3] == ["run", "--detached"]
    assert command[command.index("--jobmanager") + 1] == "jm:8081"
    assert command[command.index("--jarfile") + 1].endswith(".jar")
    shipped = Path(command[command.index("--pyFiles") + 1])
    assert {path.name for path in shipped.iterdir()} == {"settings"}  # all the smoke job imports
    assert command[command.index("--parallelism") + 1] == "2"
    assert command[command.index("--fromSavepoint") + 1] == "file:///sp"
    assert command[-2:] == ["--topic", "t"]


def test_missing_connector_jar_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="bootstrap"):
        submit.connector_jar(tmp_path)


def test_failed_submission_shows_flink_output(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="flink run failed"):
        submit.submit(["false"], tmp_path)


def test_submit_main_prints_the_job_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, list[str]] = {}

    def fake_submit(command: list[str], conf_dir: Path) -> str:
        seen["command"] = command
        return "0" * 32

    monkeypatch.setattr(submit, "submit", fake_submit)
    monkeypatch.setattr(submit, "running_job_id", lambda rest_url, name: None)
    monkeypatch.setattr(submit, "wait_until_running", lambda rest_url, job_id, timeout_s: None)
    (tmp_path / "config.yaml").touch()
    assert submit.main(["--job", "smoke", "--conf-dir", str(tmp_path), "--parallelism", "2", "--", "--topic", "x"]) == 0
    assert capsys.readouterr().out.strip() == "0" * 32
    assert seen["command"][-2:] == ["--topic", "x"]
