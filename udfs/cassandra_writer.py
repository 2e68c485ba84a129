"""Sink: upsert the hourly means into both Cassandra tables (there is no Flink 2.x Cassandra connector).

Runs keyed by (hour, region), so the writes of one key keep their order. Writes are synchronous:
Flink's Python operator finishes its bundle before it forwards a checkpoint barrier, so by the
time a checkpoint completes every result before it is in Cassandra; after a failure the job
replays from that checkpoint and the idempotent upserts converge to the same rows. Each write
leaves as a record of the results topic (``results.records``): the topic mirrors the tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from pyflink.common import Row, RowKind, Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext

from results.hours import hour_of
from results.records import record_key, record_value
from results.rows import ResultRow
from results.writes import HourlyMeansTables
from settings import CassandraSettings

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for at most ``budget_s``; then the error goes up and Flink restarts."""

    budget_s: float
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def run(self, action: Callable[[], object], on_retry: Callable[[Exception], None],
            sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        deadline = clock() + self.budget_s
        delay = self.first_delay_s
        while True:
            try:
                action()
                return
            except Exception as error:
                if clock() + delay > deadline:
                    raise
                on_retry(error)
                sleep(delay)
                delay = min(delay * 2, self.max_delay_s)


def has_row(row: Row) -> bool:
    """Whether a result is a row of the tables: a key whose hour has no reading of its own only
    carries the mean three hours before, for when that hour gets one."""
    return row.readings > 0


def write_for(row: Row, replaced_had_row: bool) -> str:
    """What one changelog row of the results asks of Cassandra: "upsert", "delete" or "skip".

    The aggregation sends a key's UPDATE_BEFORE right before its UPDATE_AFTER: the
    UPDATE_BEFORE is skipped (the row after it replaces it), and ``replaced_had_row`` says
    whether it was a row, which the UPDATE_AFTER of a key that lost its last reading needs.
    """
    kind = row.get_row_kind()
    if kind == RowKind.UPDATE_BEFORE:
        return "skip"
    if kind == RowKind.DELETE:
        return "delete" if has_row(row) else "skip"
    if has_row(row):
        return "upsert"
    return "delete" if replaced_had_row else "skip"


def replaced_had_row(row: Row, state) -> bool:
    """Whether the result an UPDATE_AFTER replaces was a row (False for the other kinds).

    ``state`` is the row's key's ValueState: a key's UPDATE_BEFORE leaves its answer there for
    the UPDATE_AFTER that follows it, which takes it away.
    """
    kind = row.get_row_kind()
    if kind == RowKind.UPDATE_BEFORE:
        state.update(has_row(row))
    elif kind == RowKind.UPDATE_AFTER:
        had_row = bool(state.value())
        state.clear()
        return had_row
    return False


class ResultWrites(Protocol):
    """What ``apply_change`` writes through: ``HourlyMeansTables``, or ``jobs.explain``'s recording stand-in."""

    def upsert(self, hour: datetime, region: str, mean: float, readings: int, mean_3h_before: float | None,
               updated_at: datetime | None = None) -> None: ...

    def delete(self, hour: datetime, region: str) -> None: ...


class Applied(NamedTuple):
    """What one changelog row of the results became: the outcome (for the metrics) and the record
    the results topic gets for it, ``(key, value)`` with no value after a delete, None when skipped."""

    outcome: str
    record: tuple[str, str | None] | None


def apply_change(tables: ResultWrites, row: Row, replaced_had_row: bool) -> Applied:
    """Apply one changelog row of the results to Cassandra, and say what the results topic gets."""
    write = write_for(row, replaced_had_row)
    hour = hour_of(row.hour_ms)
    if write == "upsert":
        now = datetime.now(UTC)  # to the millisecond, as Cassandra keeps it and the record says it
        result = ResultRow(hour, row.region, row.mean_temperature, row.readings, row.mean_temperature_3h_before,
                           now.replace(microsecond=now.microsecond // 1000 * 1000))
        tables.upsert(hour, row.region, result.mean_temperature, result.readings, result.mean_temperature_3h_before,
                      result.updated_at)
        return Applied("upserted", (record_key(hour, row.region), record_value(result)))
    if write == "delete":
        tables.delete(hour, row.region)
        return Applied("deleted", (record_key(hour, row.region), None))
    return Applied("skipped", None)


class CassandraResultWriter(KeyedProcessFunction):
    """The Flink shell: one session per worker, retries with backoff, counters on the dashboard.

    Its keyed state holds, between a key's UPDATE_BEFORE and UPDATE_AFTER, whether the replaced
    result was a row; in state rather than in memory, so a checkpoint between the two keeps it.
    """

    def __init__(self, cassandra: CassandraSettings, retry: RetryPolicy) -> None:
        self.cassandra = cassandra
        self.retry = retry

    def open(self, runtime_context: RuntimeContext) -> None:
        from pyflink.datastream.state import ValueStateDescriptor

        from results.session import connect

        self.session = connect(self.cassandra)
        self.tables = HourlyMeansTables(self.session, self.cassandra.keyspace)
        self.replaced = runtime_context.get_state(ValueStateDescriptor("replaced_had_row", Types.BOOLEAN()))
        metrics = runtime_context.get_metrics_group().add_group("iot")
        self.counters = {name: metrics.counter(f"rows_{name}") for name in ("upserted", "deleted", "skipped")}
        self.retries = metrics.counter("cassandra_write_retries")

    def close(self) -> None:
        self.session.cluster.shutdown()

    def _on_retry(self, error: Exception) -> None:
        self.retries.inc()
        log.warning("cassandra write failed, retrying: %s", error)

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context) -> Iterator[Row]:
        """Writes the change, then emits the results topic's record of it (once Cassandra has it)."""
        replaced = replaced_had_row(value, self.replaced)
        done: list[Applied] = []
        self.retry.run(lambda: done.append(apply_change(self.tables, value, replaced)), self._on_retry)
        applied = done[-1]
        self.counters[applied.outcome].inc()
        if applied.record is None:
            return iter(())
        return iter((Row(*applied.record),))
