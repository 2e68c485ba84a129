"""The record of the results topic (docs/contract.md §2.6): every change of a result row, for
consumers other than Cassandra's readers (a live map, another system).

One record per change the writer makes in Cassandra, keyed by the row's (hour, region): the
row as JSON after an upsert, a tombstone (no value) after a delete. The topic is compacted, so it
always holds at least the latest record of every key: read from the start, it is the table.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from readings.rejected import utc_text
from results.hours import as_utc
from results.rows import ResultRow


def record_key(hour: datetime, region: str) -> str:
    """``2026-12-05T13:00:00Z/Bretagne``: the hour in ISO-8601 UTC, a slash, the region's name."""
    return f"{as_utc(hour):%Y-%m-%dT%H:%M:%SZ}/{region}"


def record_value(row: ResultRow) -> str:
    """The row as JSON; times in ISO-8601 UTC with ``Z``, the mean three hours before null when unknown."""
    return json.dumps(
        {
            "hour": f"{as_utc(row.hour):%Y-%m-%dT%H:%M:%SZ}",
            "region": row.region,
            "mean_temperature": row.mean_temperature,
            "readings": row.readings,
            "mean_temperature_3h_before": row.mean_temperature_3h_before,
            "updated_at": None if row.updated_at is None else utc_text(row.updated_at),
        },
        ensure_ascii=False,
    )


class ResultRecord(NamedTuple):
    """What a consumer reads: the row's key, and the row, or None for a tombstone (the row is gone)."""

    key: str
    row: ResultRow | None


def decode_record(key: bytes, value: bytes | None) -> ResultRecord:
    """One record of the topic; raises ``ValueError`` (with the reason) for a record of another shape."""
    text_key = key.decode("utf-8")
    if value is None:
        return ResultRecord(text_key, None)
    fields = json.loads(value)
    if not isinstance(fields, dict):
        raise ValueError(f"a result record is a JSON object, not {type(fields).__name__}")
    try:
        before = fields["mean_temperature_3h_before"]
        updated_at = fields["updated_at"]
        row = ResultRow(
            datetime.fromisoformat(fields["hour"]),
            str(fields["region"]),
            float(fields["mean_temperature"]),
            int(fields["readings"]),
            None if before is None else float(before),
            None if updated_at is None else datetime.fromisoformat(updated_at),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"a result record without a usable {error}") from None
    if record_key(row.hour, row.region) != text_key:
        raise ValueError(f"the key {text_key!r} is not the row's ({record_key(row.hour, row.region)!r})")
    return ResultRecord(text_key, row)
