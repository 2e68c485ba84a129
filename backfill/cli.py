"""``iot-backfill``: recompute the results of some past hours from the archive, by the stream's own job.

    iot-backfill --from '2026-12-05 08' --to '2026-12-05 10'     those UTC hours, both included
    iot-backfill --from '2026-12-04 00' --to '2026-12-04 23' --aggregation daily
                                                                 the daily table for that day

The archived messages of the Kafka window that decides those hours are replayed, partition by
partition in offset order with their Kafka timestamps, into a scratch topic; the job
(jobs/hourly_region_means.py) runs over it bounded into a scratch keyspace, and only the rows of
the hours asked (the days wholly asked, for the daily table) are copied into the tables. The
scratch topics and keyspace are dropped at the end, whatever happened (docs/archive.md).

Exit status: 0 copied; 1 nothing to recompute from (no archive files for an hour), the job
failed or Kafka, Cassandra or Flink could not be reached; 2 a wrong command line or environment,
or hours in the future.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from archive.reads import archived_messages, hour_name
from backfill.bounded_run import BoundedRunFailed, Scratch, cancel_unless_done, submit_bounded_job, wait_until_finished
from backfill.copy import Changes, copy_days, copy_hours
from backfill.plan import BackfillPlan, backfill_plan, replayed, whole_days
from backfill.replay import ReplayFailed, create_scratch_topics, replay, scratch_partitions
from infra.provision import delete_topics, ensure_schema
from jobs.submit import ROOT, SubmitFailed, default_jobmanager, executable
from query.hours import parse_hour
from readings.timestamps import EPOCH, ONE_MS
from results.hours import hour_text
from results.session import CASSANDRA_ERRORS, connect
from settings import Settings, configure_logging, values
from settings.command_line import OneLineParser, UsageError, address, reports_usage_errors, whole_number

log = logging.getLogger("iot-backfill")
AGGREGATIONS = ("hourly", "daily")


def arguments(argv: list[str] | None, settings: Settings, now: datetime) -> tuple[argparse.Namespace, BackfillPlan]:
    parser = OneLineParser(prog="iot-backfill", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", metavar="HOUR", required=True, help="the first UTC hour, 'YYYY-MM-DD HH'")
    parser.add_argument("--to", dest="last", metavar="HOUR", required=True, help="the last UTC hour, included")
    parser.add_argument("--aggregation", choices=AGGREGATIONS, action="append",
                        help="the tables to recompute: hourly (the two results tables), daily (the daily table; "
                             "whole days only); repeat for both (default: hourly)")
    parser.add_argument("--archive", default=settings.archive.path, help="the archive's path (default: %(default)s)")
    parser.add_argument("--jobmanager", type=address(), metavar="HOST:PORT",
                        help="Flink's REST address (default: IOT_FLINK_JOBMANAGER, else 127.0.0.1:8081)")
    parser.add_argument("--parallelism", type=whole_number(1, 32768), help="of the bounded job (default: the cluster's)")
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("IOT_VAR_DIR", ROOT / "var")),
                        help="the local stack's folder (default %(default)s)")
    parser.add_argument("--conf-dir", type=Path, help="Flink conf folder for the client (default: VAR_DIR/flink/conf)")
    parser.add_argument("--python", type=executable, default=sys.executable, help="interpreter of the Python workers")
    parser.add_argument("--timeout", type=whole_number(1, 24 * 3600), default=3600, metavar="SECONDS",
                        help="how long the bounded job may take (default %(default)s)")
    args = parser.parse_args(argv)
    args.aggregation = sorted(set(args.aggregation or ["hourly"]))
    args.conf_dir = args.conf_dir or args.var_dir / "flink" / "conf"
    try:
        plan = backfill_plan(parse_hour(args.first), parse_hour(args.last), now, settings.rules, settings.job)
    except ValueError as error:  # PlanError, or not an hour, or a range backwards
        parser.error(str(error))
    if "daily" in args.aggregation and not whole_days(plan.hours):
        parser.error("--aggregation daily copies whole UTC days: --from a day's hour 00 --to a day's hour 23")
    return args, plan


def archived_replay(archive: str, plan: BackfillPlan) -> pa.Table:
    """The messages to replay; LookupError when an hour asked has no archive file (nothing to recompute it from)."""
    messages = archived_messages(archive, plan.first_event_hour, plan.last_event_hour)
    present = set(messages["event_hour"].to_pylist())
    missing = [hour for hour in plan.hours if hour_name(hour) not in present]
    if missing:
        raise LookupError(f"no archive files for {len(missing)} of the hours asked (the first: {hour_text(missing[0])}) "
                          f"under {archive}: nothing to recompute them from")
    return replayed(messages, plan.window)


def ms_text(epoch_ms: int) -> str:
    return f"{EPOCH + epoch_ms * ONE_MS:%Y-%m-%d %H:%M} UTC"


def change_text(when: str, change: Changes) -> str:
    rows = len(change.upserts) + change.unchanged
    return f"{when}: {rows} rows, {len(change.upserts)} written, {len(change.deletes)} deleted, {change.unchanged} unchanged"


@reports_usage_errors("iot-backfill")
def main(argv: list[str] | None = None) -> int:
    configure_logging()
    settings = Settings.from_env()
    args, plan = arguments(argv, settings, datetime.now(UTC))
    try:
        messages = archived_replay(args.archive, plan)
    except LookupError as error:
        print(f"iot-backfill: {error}", file=sys.stderr)
        return 1
    if plan.window.until_ms > (datetime.now(UTC) - EPOCH) // ONE_MS:
        log.warning("the hours' Kafka window is still open: what arrives until %s, and what the job read since "
                    "its last checkpoint (not archived yet), can still change them", ms_text(plan.window.until_ms))
    jobmanager = args.jobmanager or default_jobmanager(os.environ)
    if not (args.conf_dir / "config.yaml").is_file():
        raise UsageError(f"no config.yaml in --conf-dir {args.conf_dir}: start the local stack or name a Flink conf folder")
    scratch = Scratch.new()
    log.info("replaying %d messages (Kafka time %d to %d) through %s", messages.num_rows, *plan.window, scratch.tag)
    try:
        return recompute(args, settings, plan, messages, scratch, jobmanager)
    except (BoundedRunFailed, SubmitFailed, ReplayFailed, OSError, *CASSANDRA_ERRORS) as error:
        print(f"iot-backfill: {error}", file=sys.stderr)
        return 1


def recompute(args: argparse.Namespace, settings: Settings, plan: BackfillPlan, messages: pa.Table, scratch: Scratch,
              jobmanager: str) -> int:
    """Replay, run, copy; the scratch topics and keyspace go whatever happens."""
    rest_url = f"http://{jobmanager}"
    started = time.monotonic()
    job_id = None
    scratch_settings = scratch.settings(settings)
    try:
        create_scratch_topics(settings.kafka, scratch.readings_topic, scratch.other_topics,
                              scratch_partitions(messages, settings.kafka))
        ensure_schema(scratch_settings.cassandra)
        replay(messages, settings.kafka, scratch.readings_topic)
        job_id = submit_bounded_job(scratch.environ(os.environ, daily="daily" in args.aggregation), jobmanager,
                                    args.conf_dir, args.python, args.parallelism)
        log.info("bounded job %s submitted", job_id)
        wait_until_finished(rest_url, job_id, args.timeout)
        session = connect(settings.cassandra)
        try:
            if "hourly" in args.aggregation:
                for hour, hour_change in copy_hours(session, settings, scratch.keyspace, plan.hours).items():
                    print(change_text(hour_text(hour), hour_change))
            if "daily" in args.aggregation:
                for day, day_change in copy_days(session, settings.cassandra.keyspace, scratch.keyspace,
                                             whole_days(plan.hours)).items():
                    print(change_text(f"{day:%Y-%m-%d} (daily)", day_change))
        finally:
            session.cluster.shutdown()
        log.info("recomputed %d hours from %d messages in %.0f s", len(plan.hours), messages.num_rows,
                 time.monotonic() - started)
        return 0
    finally:
        if job_id is not None:
            cancel_unless_done(rest_url, job_id)
        delete_topics(settings.kafka, [scratch.readings_topic, *scratch.other_topics])
        session = connect(settings.cassandra)
        try:
            keyspace = values.keyspace_name(scratch.keyspace)
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
        finally:
            session.cluster.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
