"""An archive as the job writes it (Parquet by event hour, with Kafka coordinates), made from sent messages."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from archive.reads import ARCHIVE_SCHEMA, NO_EVENT_HOUR, hour_name
from oracle import SentMessage
from oracle.watermark import watermark_time_ms
from results.hours import hour_of
from settings import ReadingRules


def write_archive(messages: list[SentMessage], path: Path, rules: ReadingRules = ReadingRules()) -> None:
    """Each message under the event hour the job's watermark reads, offsets counted per partition in order."""
    def event_hour(message: SentMessage) -> str:
        event_ms = watermark_time_ms(message.value, message.judged_at_ms, rules)
        return NO_EVENT_HOUR if event_ms is None else hour_name(hour_of(event_ms))

    counted: dict[int, int] = {}
    own_offsets = []
    for message in messages:
        counted[message.partition] = counted.get(message.partition, -1) + 1
        own_offsets.append(counted[message.partition])
    table = pa.table({
        "kafka_partition": pa.array([message.partition for message in messages], pa.int32()),
        "kafka_offset": pa.array(own_offsets, pa.int64()),
        "kafka_timestamp": pa.array([message.judged_at_ms * 1_000_000 for message in messages], pa.timestamp("ns")),
        "payload": pa.array([message.value for message in messages], pa.binary()),
        "event_hour": pa.array([event_hour(message) for message in messages], pa.string()),
    }, schema=ARCHIVE_SCHEMA)  # fmt: skip
    ds.write_dataset(table, path, format="parquet", partitioning=["event_hour"], partitioning_flavor="hive",
                     basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore")
