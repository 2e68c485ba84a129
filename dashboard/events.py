"""What the page receives: server-sent events, and the rows as the page's JavaScript reads them.

Three events: ``snapshot`` (every row held, what a page starts from), ``row`` (a row's new
value) and ``removal`` (a row deleted). Times are ISO-8601 UTC with ``Z``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dashboard.records import Change, Removal
from results.hours import as_utc
from results.rows import ResultRow

# How long a browser waits before reconnecting after the stream ends (EventSource's retry).
RECONNECT_MS = 1000


def utc_text(moment: datetime) -> str:
    """``2026-12-05T13:05:01.123Z``; the milliseconds only when there are some."""
    moment = as_utc(moment)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")


def row_fields(row: ResultRow) -> dict[str, Any]:
    return {
        "hour": utc_text(row.hour),
        "region": row.region,
        "mean_temperature": row.mean_temperature,
        "readings": row.readings,
        "mean_temperature_3h_before": row.mean_temperature_3h_before,
        "updated_at": None if row.updated_at is None else utc_text(row.updated_at),
    }


def server_sent_event(name: str, data: Any) -> str:
    """One event; JSON never holds a raw newline, so the data is one ``data:`` line."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, allow_nan=False)}\n\n"


def snapshot_event(rows: Iterable[ResultRow], hours_kept: int) -> str:
    return f"retry: {RECONNECT_MS}\n" + server_sent_event(
        "snapshot", {"hours_kept": hours_kept, "rows": [row_fields(row) for row in rows]}
    )


def change_event(change: Change) -> str:
    if isinstance(change, Removal):
        return server_sent_event("removal", {"hour": utc_text(change.hour), "region": change.region})
    return server_sent_event("row", row_fields(change))


KEEPALIVE = ": keepalive\n\n"
