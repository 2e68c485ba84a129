"""Compare the oracle's rows with what Cassandra holds, table by table, as readable lines.

An empty list means both tables hold exactly the expected rows; tests ``assert not diff``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from oracle.outcome import ExpectedOutcome, ExpectedRow
from results.hours import as_utc
from results.rows import ResultRow
from results.tables import RESULT_TABLES

# Flink's AVG adds and retracts doubles one by one; the oracle's mean is exact.
MEAN_TOLERANCE = 1e-9


Key = tuple[datetime, str]


def diff_tables(expected: ExpectedOutcome, tables: Mapping[str, Iterable[ResultRow]]) -> list[str]:
    """Missing rows, extra rows, wrong counts and means beyond ``MEAN_TOLERANCE``, for both tables.

    ``tables`` maps each name of ``RESULT_TABLES`` to all its rows in the keyspace under test.
    """
    wanted: dict[Key, ExpectedRow] = {(row.hour, row.region): row for row in expected.rows}
    problems: list[str] = []
    for table in RESULT_TABLES:
        found: dict[Key, ResultRow] = {(as_utc(row.hour), row.region): row for row in tables[table]}
        problems += [f"{table}: missing {describe(key, wanted[key])}" for key in sorted(wanted.keys() - found.keys())]
        problems += [f"{table}: extra {describe(key, found[key])}" for key in sorted(found.keys() - wanted.keys())]
        for key in sorted(wanted.keys() & found.keys()):
            problems += [f"{table}: {key_text(key)}: {problem}" for problem in mismatches(wanted[key], found[key])]
    return problems


def mismatches(wanted: ExpectedRow, found: ResultRow) -> list[str]:
    problems = []
    if found.readings != wanted.readings:
        problems.append(f"readings {found.readings}, expected {wanted.readings}")
    if not same_mean(found.mean_temperature, wanted.mean_temperature):
        problems.append(f"mean_temperature {found.mean_temperature!r}, expected {wanted.mean_temperature!r}")
    if not same_mean(found.mean_temperature_3h_before, wanted.mean_temperature_3h_before):
        problems.append(
            f"mean_temperature_3h_before {found.mean_temperature_3h_before!r}, "
            f"expected {wanted.mean_temperature_3h_before!r}"
        )
    return problems


def same_mean(found: float | None, wanted: float | None) -> bool:
    if found is None or wanted is None:
        return found is wanted
    return math.isclose(found, wanted, rel_tol=0.0, abs_tol=MEAN_TOLERANCE)


def key_text(key: Key) -> str:
    return f"({key[0].isoformat()}, {key[1]})"


def describe(key: Key, row: ExpectedRow | ResultRow) -> str:
    return (
        f"{key_text(key)}: mean {row.mean_temperature!r} of {row.readings} readings, "
        f"3 h before {row.mean_temperature_3h_before!r}"
    )
