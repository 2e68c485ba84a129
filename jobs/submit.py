"""``iot-submit``: submit one of our PyFlink jobs with ``flink run`` to a session cluster.

It ships our Python packages (``-pyfs``) and the Kafka connector jar (``-j``), so the same
command works for the local cluster and for any cluster reachable at ``--jobmanager``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from jobs.checkpoints import SubmissionLog, newest_checkpoint
from jobs.running_job import running_job_id
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
JOBS = {"hourly": ROOT / "jobs" / "hourly_region_means.py", "smoke": ROOT / "jobs" / "kafka_smoke.py"}
SHIPPED_PACKAGES = ("settings", "readings", "geo", "udfs", "jobs")
_JOB_ID = re.compile(r"JobID ([0-9a-f]{32})")


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
) -> list[str]:
    """The ``flink run`` argument list (no shell: nothing here is interpreted by one)."""
    shipped = [str(ROOT / name) for name in SHIPPED_PACKAGES if (ROOT / name).is_dir()]
    command = [
        str(flink_home() / "bin" / "flink"), "run", "--detached",
        "--jobmanager", jobmanager,
        "--python", str(job),
        "--jarfile", str(connector_jar()),
        *[option for url in connector_classpath() for option in ("--classpath", url)],
        "--pyFiles", ",".join(shipped),
        "--pyExecutable", python,
        "--pyClientExecutable", python,
    ]  # fmt: skip
    if parallelism:
        command += ["--parallelism", str(parallelism)]
    if savepoint:
        command += ["--fromSavepoint", savepoint]
    return command + list(job_args or [])


def submit(command: list[str], conf_dir: Path, environ: dict[str, str] | None = None) -> str:
    """Run ``flink run`` and return the id of the submitted job.

    The job reads its settings (topics, keyspace, rules) from the ``IOT_*`` variables of
    ``environ`` when its graph is built by the client, and ships them to the workers.
    """
    env = {**(os.environ if environ is None else environ), "FLINK_CONF_DIR": str(conf_dir)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    match = _JOB_ID.search(result.stdout)
    if result.returncode != 0 or not match:
        raise RuntimeError(
            f"flink run failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return match.group(1)


def resume_point(args: argparse.Namespace, log: SubmissionLog, job_name: str) -> str | None:
    """The savepoint given, else (local cluster, ``hourly``, no ``--fresh``) the newest retained
    checkpoint of an earlier job of the same name."""
    if args.savepoint or args.fresh or args.job != "hourly":
        return args.savepoint
    checkpoint = newest_checkpoint(args.var_dir / "flink" / "checkpoints", log.job_ids(job_name))
    return str(checkpoint) if checkpoint else None


def main(argv: list[str] | None = None) -> int:
    var_dir = Path(os.environ.get("IOT_VAR_DIR", ROOT / "var"))
    parser = argparse.ArgumentParser(prog="iot-submit", description=__doc__)
    parser.add_argument("--job", choices=sorted(JOBS), default="hourly", help="hourly: the product; smoke: a connector check")
    parser.add_argument("--jobmanager", default=os.environ.get("IOT_FLINK_JOBMANAGER", "127.0.0.1:8081"))
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--from-savepoint", dest="savepoint", help="a savepoint or retained checkpoint to start from")
    parser.add_argument("--fresh", action="store_true",
                        help="start with empty state instead of the newest checkpoint of an earlier job of this name")
    parser.add_argument("--var-dir", type=Path, default=var_dir, help="the local stack's folder (default %(default)s)")
    parser.add_argument(
        "--conf-dir",
        type=Path,
        default=var_dir / "flink" / "conf",
        help="Flink conf folder for the client (default: the one scripts/stack.sh rendered)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter of the Python workers")
    parser.add_argument("job_args", nargs=argparse.REMAINDER, help="arguments for the job, after --")
    args = parser.parse_args(argv)
    job_args = args.job_args[1:] if args.job_args[:1] == ["--"] else args.job_args
    job_name = Settings.from_env().job.name
    if args.job == "hourly":
        try:
            running = running_job_id(f"http://{args.jobmanager}", job_name)
        except OSError as error:
            print(f"cannot reach Flink's REST API at {args.jobmanager}: {error}", file=sys.stderr)
            return 1
        if running:
            # Two jobs of one name would share the consumer group and the transactional ids.
            print(f"{job_name} is already running as {running}: stop it first (docs/operations.md)", file=sys.stderr)
            return 1
    log = SubmissionLog(args.var_dir / "flink" / "submitted")
    start_from = resume_point(args, log, job_name)
    if start_from:
        print(f"starting from {start_from}", file=sys.stderr)
    command = flink_run_command(JOBS[args.job], args.jobmanager, args.python, args.parallelism, start_from, job_args)
    job_id = submit(command, args.conf_dir)
    if args.job == "hourly":
        log.record(job_name, job_id)
    print(job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
