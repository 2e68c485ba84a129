"""Sink of the daily statement: each change of a (day, region) upserted into, or deleted from, the daily table.

Keyed by (day, region), so one key's changes keep their order; synchronous writes with the
hourly writer's retries, so a completed checkpoint means Cassandra has every change before it.
An UPDATE_BEFORE needs no write: its UPDATE_AFTER overwrites the row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from pyflink.common import Row, RowKind
from pyflink.datastream import KeyedProcessFunction, RuntimeContext

from readings.timestamps import EPOCH, ONE_MS
from results.daily import DailyRow, DailyTable
from settings import CassandraSettings
from udfs.cassandra_writer import RetryPolicy

log = logging.getLogger(__name__)


def apply_daily_change(table: DailyTable, row: Row, now: datetime) -> str:
    """The write a change of the daily aggregation makes: ``upserted``, ``deleted`` or ``skipped``."""
    day = EPOCH + row.day_ms * ONE_MS
    kind = row.get_row_kind()
    if kind in (RowKind.INSERT, RowKind.UPDATE_AFTER):
        table.upsert(DailyRow(day, row.region, row.min_temperature, row.max_temperature, row.mean_temperature,
                              row.readings, now))
        return "upserted"
    if kind == RowKind.DELETE:
        table.delete(day, row.region)
        return "deleted"
    return "skipped"


class DailyTableWriter(KeyedProcessFunction):
    def __init__(self, cassandra: CassandraSettings, retry: RetryPolicy) -> None:
        self.cassandra = cassandra
        self.retry = retry

    def open(self, runtime_context: RuntimeContext) -> None:
        from results.session import connect

        self.session = connect(self.cassandra)
        self.table = DailyTable(self.session, self.cassandra.keyspace)

    def close(self) -> None:
        self.session.cluster.shutdown()

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context) -> Iterator[Row]:
        self.retry.run(lambda: apply_daily_change(self.table, value, datetime.now(UTC)),
                       lambda error: log.warning("cassandra write failed, retrying: %s", error))
        return iter(())
