"""Partition watermark: each message judged against the watermark of its own Kafka partition.

The step runs in the JVM (``jvm/job-functions``, ``fr.iot.temperature.watermarks``), chained to
the parse step in the source's task, where each partition's messages arrive in offset order: it
keeps the highest event time per partition in checkpointed operator state, gives every reading
that maximum minus the out-of-orderness as ``watermark_ms``, sends rejected messages to a side
output as ready-made dead letters, and every message as read to another, for the archive. It
replaced an SQL ``OVER`` aggregation keyed by partition, which shuffled every message to another
task and kept its maximum in RocksDB (docs/benchmarks.md). The oracle
(``oracle/expected_outcome.py``) states the same rule in Python.
"""

from __future__ import annotations

from typing import NamedTuple

from pyflink.datastream import DataStream
from pyflink.table import StreamTableEnvironment, Table

from udfs.jvm_functions import job_functions


class JudgedMessages(NamedTuple):
    """The step's three outputs."""

    readings: DataStream
    """id, event_ms, lat, lon, temperature, region, watermark_ms: a stream of the table runtime's
    own rows (``fr.iot.temperature.tables.InternalRows``) for the versions step; Python code cannot read it."""
    rejected: Table
    """Dead letters, as k, v."""
    archived: Table
    """Every message: kafka_partition, kafka_offset, kafka_timestamp, payload and its UTC event hour
    ('yyyy-MM-ddTHH', or 'none' without a readable event time), the archive's partition."""


def partition_watermark(t_env: StreamTableEnvironment, parsed: Table, out_of_orderness_ms: int) -> JudgedMessages:
    """``parsed`` has udfs.parse_and_locate's columns followed by the source's kafka_partition,
    event_time, kafka_offset, kafka_timestamp and payload."""
    step = job_functions().watermarks.PartitionWatermarkStep
    readings = step.readings(t_env._j_tenv, parsed._j_table, out_of_orderness_ms)
    return JudgedMessages(DataStream(readings), Table(step.rejected(t_env._j_tenv, readings), t_env),
                          Table(step.archived(t_env._j_tenv, readings), t_env))
