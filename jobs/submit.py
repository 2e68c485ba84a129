"""``iot-submit``: submit one of our PyFlink jobs with ``flink run`` to a session cluster.

It ships the packages of ours the job imports (``-pyfs``, ``jobs.shipped_code``) and the Kafka
connector jar (``-j``), so the same command works for the local cluster and for any cluster
reachable at ``--jobmanager``, with nothing of ours installed beside its Python workers. It
prints the job's id, then waits (``--start-timeout``, 60 s) until every task of the job runs.

Exit status: 0 submitted and running; 1 Flink unreachable, the job of that name already
running, or ``flink run`` failed; 2 a wrong command line or environment (one line on standard
error; also when what answers at --jobmanager is not Flink's REST API); 3 submitted but not
running: short of task slots, failed, or not all tasks running within --start-timeout (the
job stays submitted; the line says why and how to cancel it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from jobs.checkpoints import SubmissionLog, newest_checkpoint
from jobs.running_job import NotRunning, running_job_id, wait_until_running
from jobs.shipped_code import staged_code
from settings import Settings, values
from settings.command_line import OneLineParser, UsageError, address, real_number, reports_usage_errors, whole_number

ROOT = Path(__file__).resolve().parent.parent
JOBS = {"hourly": ROOT / "jobs" / "hourly_region_means.py", "smoke": ROOT / "jobs" / "kafka_smoke.py"}
_JOB_ID = re.compile(r"JobID ([0-9a-f]{32})")
EXIT_NOT_RUNNING = 3


def flink_home() -> Path:
    import pyflink

    return Path(pyflink.__file__).resolve().parent


CONNECTOR_LIB = ROOT / "build" / "lib" / "flink-connectors"


def connector_jar(lib_dir: Path = CONNECTOR_LIB) -> Path:
    jars = sorted(lib_dir.glob("flink-sql-connector-kafka-*.jar"))
    if not jars:
        raise FileNotFoundError(f"no Kafka connector jar in {lib_dir}: run scripts/bootstrap.sh")
    return jars[-1]


def connector_classpath(lib_dir: Path = CONNECTOR_LIB) -> list[str]:
    """The jars the connector needs beside it (the zstd codec), as ``--classpath`` URLs."""
    return [jar.as_uri() for jar in sorted(lib_dir.glob("*.jar")) if jar != connector_jar(lib_dir)]


def flink_run_command(
    job: Path,
    jobmanager: str,
    python: str,
    parallelism: int | None = None,
    savepoint: str | None = None,
    job_args: list[str] | None = None,
    flink_options: Mapping[str, str] | None = None,
    client_python: str | None = None,
) -> list[str]:
    """The ``flink run`` argument list (no shell: nothing here is interpreted by one).

    ``python`` runs the Python workers, ``client_python`` (default: the same) builds the job's graph.
    ``flink_options`` override keys of the cluster's configuration for this job only (``-D``),
    the way Flink itself layers its settings: the tests checkpoint more often that way.
    """
    command = [
        str(flink_home() / "bin" / "flink"), "run", "--detached",
        "--jobmanager", jobmanager,
        "--python", str(job),
        "--jarfile", str(connector_jar()),
        *[option for url in connector_classpath() for option in ("--classpath", url)],
        "--pyFiles", str(staged_code(job)),
        "--pyExecutable", python,
        "--pyClientExecutable", client_python or python,
    ]  # fmt: skip
    if parallelism:
        command += ["--parallelism", str(parallelism)]
    if savepoint:
        command += ["--fromSavepoint", savepoint]
    command += [f"-D{key}={value}" for key, value in (flink_options or {}).items()]
    return command + list(job_args or [])


class SubmitFailed(RuntimeError):
    """``flink run`` did not submit the job; the message holds the end of its output."""


def submit(command: list[str], conf_dir: Path, environ: dict[str, str] | None = None) -> str:
    """Run ``flink run`` and return the id of the submitted job.

    The job reads its settings (topics, keyspace, rules) from the ``IOT_*`` variables of
    ``environ`` when its graph is built by the client, and ships them to the workers.
    """
    env = {**(os.environ if environ is None else environ), "FLINK_CONF_DIR": str(conf_dir)}
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SubmitFailed(f"flink run could not run: {error}") from None
    match = _JOB_ID.search(result.stdout)
    if result.returncode != 0 or not match:
        raise SubmitFailed(
            f"flink run failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return match.group(1)


# What Flink says when a checkpoint's operators are not all in the submitted job's graph.
UNMAPPED_STATE = "Cannot map checkpoint/savepoint state"


def unrestorable_advice(error: SubmitFailed, start_from: str | None) -> str | None:
    """What to do when the state resumed from belongs to another plan of the job (a change of the
    SQL or of the steps of ``build()``): Flink's refusal is buried in a stack trace."""
    if not start_from or UNMAPPED_STATE not in str(error):
        return None
    return (f"iot-submit: {start_from} holds the state of another plan of the job, which this one cannot restore. "
            "Replay into new tables, then stop the old job (docs/operations.md, 'Replay from Kafka'); "
            "or, on a local stack whose tables you will rebuild, start without state (--fresh).")


def resume_point(args: argparse.Namespace, log: SubmissionLog, job_name: str) -> str | None:
    """The savepoint given, else (local cluster, ``hourly``, no ``--fresh``) the newest retained
    checkpoint of an earlier job of the same name."""
    if args.savepoint or args.fresh or args.job != "hourly":
        return args.savepoint
    checkpoint = newest_checkpoint(args.var_dir / "flink" / "checkpoints", log.job_ids(job_name))
    return str(checkpoint) if checkpoint else None


def executable(text: str) -> str:
    """The Python interpreter: the client runs it to build the job's graph, so it must run here."""
    if shutil.which(text) is None:
        raise argparse.ArgumentTypeError(f"{values.shown(text)}: no such executable")
    return text


def savepoint_location(text: str) -> str:
    """A savepoint or checkpoint: a local one (a path or file://) must exist; a remote one is Flink's to find."""
    parts = urlsplit(text)
    if parts.scheme in ("", "file") and not Path(parts.path if parts.scheme else text).exists():
        raise argparse.ArgumentTypeError(f"{values.shown(text)}: no such savepoint or checkpoint")
    return text


def default_jobmanager(environ: Mapping[str, str]) -> str:
    """IOT_FLINK_JOBMANAGER, checked like --jobmanager, else the local cluster."""
    text = environ.get("IOT_FLINK_JOBMANAGER", "127.0.0.1:8081")
    try:
        values.address(text)
    except ValueError as error:
        raise UsageError(f"IOT_FLINK_JOBMANAGER={values.shown(text)}: {error}") from None
    return text


def arguments(argv: list[str] | None, var_dir: Path) -> argparse.Namespace:
    parser = OneLineParser(prog="iot-submit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--job", choices=sorted(JOBS), default="hourly", help="hourly: the product; smoke: a connector check")
    parser.add_argument("--jobmanager", type=address(), metavar="HOST:PORT",
                        help="Flink's REST address (default: IOT_FLINK_JOBMANAGER, else 127.0.0.1:8081)")
    parser.add_argument("--parallelism", type=whole_number(1, 32768))
    parser.add_argument("--from-savepoint", dest="savepoint", type=savepoint_location,
                        help="a savepoint or retained checkpoint to start from")
    parser.add_argument("--fresh", action="store_true",
                        help="start with empty state instead of the newest checkpoint of an earlier job of this name")
    parser.add_argument("--var-dir", type=Path, default=var_dir, help="the local stack's folder (default %(default)s)")
    parser.add_argument("--conf-dir", type=Path,
                        help="Flink conf folder for the client (default: the one scripts/stack.sh rendered, VAR_DIR/flink/conf)")
    parser.add_argument("--python", type=executable, default=sys.executable, help="interpreter of the Python workers")
    parser.add_argument("--start-timeout", type=real_number(0, 3600), default=60.0, metavar="SECONDS",
                        help="how long to wait for every task of the job to run (0: do not wait; default %(default)g)")
    parser.add_argument("job_args", nargs=argparse.REMAINDER, help="arguments for the job, after --")
    args = parser.parse_args(argv)
    args.conf_dir = args.conf_dir or args.var_dir / "flink" / "conf"
    if not (args.conf_dir / "config.yaml").is_file():
        parser.error(f"no config.yaml in --conf-dir {values.shown(str(args.conf_dir))}: "
                     "start the local stack (scripts/stack.sh up) or name a Flink conf folder")
    args.job_args = args.job_args[1:] if args.job_args[:1] == ["--"] else args.job_args
    return args


@reports_usage_errors("iot-submit")
def main(argv: list[str] | None = None) -> int:
    var_dir = Path(os.environ.get("IOT_VAR_DIR", ROOT / "var"))
    args = arguments(argv, var_dir)
    jobmanager = args.jobmanager or default_jobmanager(os.environ)
    rest_url = f"http://{jobmanager}"
    job_name = Settings.from_env().job.name
    try:
        running = running_job_id(rest_url, job_name)
    except OSError as error:
        print(f"iot-submit: cannot reach Flink's REST API at {jobmanager}: {error}", file=sys.stderr)
        return 1
    if running and args.job == "hourly":
        # Two jobs of one name would share the consumer group and the transactional ids.
        print(f"iot-submit: {job_name} is already running as {running}: stop it first (docs/operations.md)", file=sys.stderr)
        return 1
    log = SubmissionLog(args.var_dir / "flink" / "submitted")
    start_from = resume_point(args, log, job_name)
    if start_from:
        print(f"starting from {start_from}", file=sys.stderr)
    try:
        command = flink_run_command(JOBS[args.job], jobmanager, args.python, args.parallelism, start_from, args.job_args)
    except FileNotFoundError as error:  # no connector jar: the repository was not bootstrapped
        raise UsageError(str(error)) from None
    try:
        job_id = submit(command, args.conf_dir)
    except SubmitFailed as error:
        print(f"iot-submit: {error}", file=sys.stderr)
        advice = unrestorable_advice(error, start_from)
        if advice:
            print(advice, file=sys.stderr)
        return 1
    if args.job == "hourly":
        note_submission(log, job_name, job_id)
    print(job_id, flush=True)
    if args.start_timeout:
        try:
            wait_until_running(rest_url, job_id, args.start_timeout)
        except NotRunning as error:
            print(f"iot-submit: {error}", file=sys.stderr)
            return EXIT_NOT_RUNNING
        except OSError as error:
            print(f"iot-submit: submitted {job_id}, then could not reach Flink's REST API at {jobmanager}: {error}",
                  file=sys.stderr)
            return 1
    return 0


def note_submission(log: SubmissionLog, job_name: str, job_id: str) -> None:
    """Note the job's id for the next resume; failing that, say what it costs instead of failing the submission."""
    try:
        log.record(job_name, job_id)
    except OSError as error:
        print(f"iot-submit: warning: could not note {job_id} in {log.directory}: {error.strerror or error}; "
              "a later iot-submit will not resume from its checkpoints", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
