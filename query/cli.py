"""``iot-query``: the hourly means per region from Cassandra, as the brief's table, a region's history or a map.

    iot-query --hour '2019-04-28 04'                  the brief's table for that UTC hour
    iot-query --hour '2019-04-28 04' --map FILE.png   the same, and the hour on a map of France
    iot-query --latest [--map FILE.png]               the most recent hour that has rows
    iot-query --region Bretagne [--last 24]           a region's hours, newest first

Exit status: 0 with results or with none ("no rows ..." on standard error, so standard
output is empty), 1 when Cassandra cannot be reached or read or the map cannot be written,
2 for a wrong command line or IOT_* variable (one line on standard error). The map is written
to exactly FILE.png, whose name must end in .png and whose folder must exist.
Connection and keyspace: the IOT_CASSANDRA_* variables.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from query.hours import parse_hour
from query.region_names import official_region
from query.text_tables import history_table, hour_table
from results.hours import hour_text
from results.reads import ResultTables
from results.rows import ResultRow
from results.session import CASSANDRA_ERRORS, connect
from settings import Settings, values
from settings.command_line import OneLineParser, output_file, reports_usage_errors, whole_number

DEFAULT_LAST_HOURS = 24


class ResultQueries(Protocol):
    """The reads ``answer`` makes: ``results.reads.ResultTables``, or rows in memory in the tests."""

    def hour(self, hour: datetime) -> list[ResultRow]: ...

    def history(self, region: str, limit: int) -> list[ResultRow]: ...

    def latest_hour(self) -> datetime | None: ...


@dataclass(frozen=True)
class Question:
    """One of: an hour, the latest hour, or a region's last hours; optionally a map of the hour."""

    hour: datetime | None = None
    latest: bool = False
    region: str | None = None
    last: int = DEFAULT_LAST_HOURS
    map: Path | None = None


def png_file(text: str) -> Path:
    """Where to write the map: a name ending in .png (what is written is a PNG, under exactly that name)."""
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"{values.shown(text)}: the map's file name must end in .png")
    return output_file(text)


def question(argv: list[str] | None) -> Question:
    parser = OneLineParser(prog="iot-query", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--hour", help="a UTC hour, 'YYYY-MM-DD HH' (ISO-8601 accepted)")
    what.add_argument("--latest", action="store_true", help="the most recent hour that has rows")
    what.add_argument("--region", help="a region's history, e.g. 'Bretagne' (case and accents optional)")
    # A count Cassandra's LIMIT takes: a positive 32-bit int.
    parser.add_argument("--last", type=whole_number(1), metavar="N",
                        help=f"with --region: the N most recent hours (default {DEFAULT_LAST_HOURS})")
    parser.add_argument("--map", type=png_file, metavar="FILE.png",
                        help="with --hour or --latest: draw the hour on a map of France")
    args = parser.parse_args(argv)
    if args.last is not None and args.region is None:
        parser.error("--last goes with --region")
    if args.map is not None and args.region is not None:
        parser.error("--map goes with --hour or --latest")
    try:
        return Question(
            hour=parse_hour(args.hour) if args.hour is not None else None,
            latest=args.latest,
            region=official_region(args.region) if args.region is not None else None,
            last=args.last or DEFAULT_LAST_HOURS,
            map=args.map,
        )
    except ValueError as error:
        parser.error(str(error))


def answer(asked: Question, tables: ResultQueries, out: TextIO, err: TextIO) -> int:
    """Print the answer on ``out``; an empty answer says so on ``err``; returns the exit status."""
    if asked.region is not None:
        rows = tables.history(asked.region, asked.last)
        print(history_table(asked.region, rows) if rows else f"no rows for region {asked.region}", file=out if rows else err)
        return 0
    hour = asked.hour or tables.latest_hour()
    if hour is None:
        print("no rows in the results tables", file=err)
        return 0
    rows = tables.hour(hour)
    print(hour_table(hour, rows) if rows else f"no rows for hour {hour_text(hour)} UTC", file=out if rows else err)
    if asked.map is not None:
        from query.france_map import draw_hour_map  # matplotlib and the boundaries load only for a map

        try:
            draw_hour_map(hour, rows, asked.map)
        except OSError as error:  # the folder was checked before the query; the disk may still be full
            print(f"iot-query: cannot write the map to {values.shown(str(asked.map))}: {error.strerror or error}", file=err)
            return 1
        print(f"map of {hour_text(hour)} UTC written to {asked.map}", file=err)
    return 0


@reports_usage_errors("iot-query")
def main(argv: list[str] | None = None) -> int:
    asked = question(argv)
    cassandra = Settings.from_env().cassandra
    where = f"Cassandra at {cassandra.host}:{cassandra.port}"
    try:
        session = connect(cassandra)
    except CASSANDRA_ERRORS as error:
        print(f"iot-query: cannot reach {where}: {error}", file=sys.stderr)
        return 1
    try:
        return answer(asked, ResultTables(session, cassandra.keyspace), sys.stdout, sys.stderr)
    except CASSANDRA_ERRORS as error:
        print(f"iot-query: cannot read the results in keyspace {cassandra.keyspace} of {where}: {error}", file=sys.stderr)
        return 1
    finally:
        session.cluster.shutdown()
