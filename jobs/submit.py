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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iot-submit", description=__doc__)
    parser.add_argument("--job", choices=sorted(JOBS), default="smoke")
    parser.add_argument("--jobmanager", default=os.environ.get("IOT_FLINK_JOBMANAGER", "127.0.0.1:8081"))
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--from-savepoint", dest="savepoint")
    parser.add_argument(
        "--conf-dir",
        type=Path,
        default=Path(os.environ.get("IOT_VAR_DIR", ROOT / "var")) / "flink" / "conf",
        help="Flink conf folder for the client (default: the one scripts/stack.sh rendered)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter of the Python workers")
    parser.add_argument("job_args", nargs=argparse.REMAINDER, help="arguments for the job, after --")
    args = parser.parse_args(argv)
    job_args = args.job_args[1:] if args.job_args[:1] == ["--"] else args.job_args
    command = flink_run_command(
        JOBS[args.job], args.jobmanager, args.python, args.parallelism, args.savepoint, job_args
    )
    job_id = submit(command, args.conf_dir)
    print(job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
