"""Read the archive with pyarrow: the Parquet files the job commits, partitioned by UTC event hour.

Hive-style directories (``event_hour=2026-12-05T14``, ``event_hour=none`` for messages without a
readable event time) hold files named ``part-*``; files a checkpoint has not committed yet are
hidden (their names start with a dot) and pyarrow skips them, so a read sees only what the job
committed: each message exactly once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

NO_EVENT_HOUR = "none"
# As the job's sink writes it (jobs.hourly_region_means.archive_sink_ddl); the Kafka timestamp is
# Parquet's INT64 milliseconds (INT96 in files written before 2026-12-06), read as nanoseconds,
# naive in UTC, whichever a file holds.
ARCHIVE_SCHEMA = pa.schema([
    ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64()), ("kafka_timestamp", pa.timestamp("ns")),
    ("payload", pa.binary()), ("event_hour", pa.string()),
])  # fmt: skip


def hour_name(hour: datetime) -> str:
    """The partition value of a UTC hour start: ``2026-12-05T14``."""
    return f"{hour:%Y-%m-%dT%H}"


def archive_dataset(path: str | Path) -> ds.Dataset:
    """Every committed file under ``path`` (none yet is an empty archive), with ``event_hour`` read
    from the directory names."""
    partitioning = ds.partitioning(pa.schema([("event_hour", pa.string())]), flavor="hive")
    if "://" not in str(path) and not Path(path).exists():
        return ds.dataset([], format="parquet", schema=ARCHIVE_SCHEMA)
    return ds.dataset(str(path), format="parquet", partitioning=partitioning, schema=ARCHIVE_SCHEMA)


def archived_messages(path: str | Path, first: datetime | None = None, last: datetime | None = None) -> pa.Table:
    """The messages whose event hour is from ``first`` to ``last`` (both included; all when not
    given; hour names sort as times), in Kafka order: by partition, then offset."""
    dataset = archive_dataset(path)
    hour = ds.field("event_hour")
    chosen = None
    if first is not None and last is not None:
        chosen = (hour >= hour_name(first)) & (hour <= hour_name(last)) & (hour != NO_EVENT_HOUR)
    table = dataset.to_table(filter=chosen)
    return table.sort_by([("kafka_partition", "ascending"), ("kafka_offset", "ascending")])
