"""``iot-reconcile``: show that every message of a run is accounted for, hour by hour and in total.

    iot-reconcile                          every hour of the run, the rejections, the totals
    iot-reconcile --hour '2019-04-28 04'   one UTC hour only (rejections, having no hour, left out)
    iot-reconcile --from '2019-04-28 00' --to '2019-04-28 23'   those hours, both included
    iot-reconcile --json                   the same facts as JSON, for scripts

A whole run reads the topics from their first offsets; hours read only the Kafka time that decides
them (from the first hour minus the future margin to the last hour's end plus the id retention and
an hour), so their cost follows the hours asked, not the topics' size.

Each message of the readings topic is rejected, late, superseded by a later version, or its
reading's winning version; the winners of each hour must be counted once in both result
tables. Read it on a quiet pipeline (ingestion stopped or the job caught up): messages still
in flight show as differences.

Exit status: 0 balanced, 1 not balanced (the unbalanced hours are listed), 2 when Kafka or
Cassandra cannot be reached or read, or for a wrong command line or IOT_* variable (one line
on standard error).
Topics and keyspace: the IOT_KAFKA_*_TOPIC and IOT_CASSANDRA_KEYSPACE variables, or the flags.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from datetime import datetime

from query.hours import parse_hour
from reconcile.report import report_json, report_text
from reconcile.sources import Unreadable, reconcile_run
from reconcile.window import hours_between
from settings import Settings, configure_logging
from settings.command_line import OneLineParser, keyspace_name, reports_usage_errors, topic_name


def arguments(argv: list[str] | None, settings: Settings) -> tuple[Settings, list[datetime] | None, bool]:
    """The settings with the flags applied, the hours asked for (or None: the whole run), and whether JSON is wanted."""
    kafka, cassandra = settings.kafka, settings.cassandra
    parser = OneLineParser(prog="iot-reconcile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings-topic", type=topic_name, default=kafka.readings_topic, help="default: %(default)s")
    parser.add_argument("--rejected-topic", type=topic_name, default=kafka.rejected_topic, help="default: %(default)s")
    parser.add_argument("--late-topic", type=topic_name, default=kafka.late_topic, help="default: %(default)s")
    parser.add_argument("--keyspace", type=keyspace_name, default=cassandra.keyspace, help="default: %(default)s")
    parser.add_argument("--hour", help="only this UTC hour, 'YYYY-MM-DD HH' (ISO-8601 accepted)")
    parser.add_argument("--from", dest="first", metavar="HOUR", help="the first UTC hour of a range (with --to)")
    parser.add_argument("--to", dest="last", metavar="HOUR", help="the last UTC hour of a range, included")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    if args.hour is not None and (args.first or args.last):
        parser.error("--hour or --from/--to, not both")
    if (args.first is None) != (args.last is None):
        parser.error("--from and --to go together")
    first, last = (args.hour, args.hour) if args.hour is not None else (args.first, args.last)
    try:
        hours = hours_between(parse_hour(first), parse_hour(last)) if first is not None else None
    except ValueError as error:
        parser.error(str(error))
    chosen = replace(
        settings,
        kafka=replace(
            kafka, readings_topic=args.readings_topic, rejected_topic=args.rejected_topic, late_topic=args.late_topic
        ),
        cassandra=replace(cassandra, keyspace=args.keyspace),
    )
    return chosen, hours, args.json


@reports_usage_errors("iot-reconcile")
def main(argv: list[str] | None = None) -> int:
    configure_logging(logging.ERROR)  # the clients retry noisily; a failure ends in one clear line
    settings, hours, as_json = arguments(argv, Settings.from_env())
    try:
        report = reconcile_run(settings, hours=hours)
    except Unreadable as error:
        print(f"iot-reconcile: {error}", file=sys.stderr)
        return 2
    kafka = settings.kafka
    run = {
        "readings_topic": kafka.readings_topic,
        "rejected_topic": kafka.rejected_topic,
        "late_topic": kafka.late_topic,
        "keyspace": settings.cassandra.keyspace,
    }
    print(report_json(report, run) if as_json else report_text(report, run))
    return 0 if report.balanced else 1
