"""Inputs of a reconciliation built by hand: late and rejected records as the job writes them, table rows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from oracle import SentMessage
from results.rows import ResultRow
from results.tables import RESULT_TABLES
from tests.support.messages import BASE

HOUR = timedelta(hours=1)


def late_record(message: SentMessage, region: str = "Bretagne") -> dict[str, Any]:
    """The late topic's value for ``message`` (``udfs.reading_versions.late_record``'s fields)."""
    body = json.loads(message.value)
    moment = datetime.fromisoformat(body["timestamp"])
    return {
        "id": body["id"], "timestamp": f"{moment:%Y-%m-%dT%H:%M:%S}.000Z", "lat": body["lat"], "lon": body["lon"],
        "temperature": body["temperature"], "region": region, "watermark": "2019-04-28T09:00:00.000Z",
        "reason": "too_late", "detail": "its event time is older than watermark minus allowed lateness",
    }  # fmt: skip


def rejected_record(reason: str, stage: str = "job") -> dict[str, Any]:
    return {"reason": reason, "detail": "...", "stage": stage, "raw": "...", "rejected_at": "2019-04-29T04:00:00.000Z"}


def row(region: str, readings: int, hour: datetime = BASE) -> ResultRow:
    return ResultRow(hour.replace(tzinfo=None), region, 10.0, readings, None, None)  # naive, as the driver returns


def both_tables(*rows: ResultRow) -> dict[str, list[ResultRow]]:
    return {table: list(rows) for table in RESULT_TABLES}
