"""The Kafka record of ``sensor.readings.rejected`` (PRODUCT.md section 2)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Literal

from readings.model import Rejection

Stage = Literal["ingest", "job"]

# The rejected topic must accept whatever we failed to read, so very large input is cut:
# producers and brokers refuse records above about 1 MiB by default.
MAX_RAW_BYTES = 512 * 1024


def utc_text(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and ``Z``, e.g. ``2019-02-19T14:02:10.000Z``."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rejection_record(
    rejection: Rejection, stage: Stage, now: datetime, max_raw_bytes: int = MAX_RAW_BYTES
) -> tuple[bytes | None, bytes]:
    """``(key, value)``: the reading's id when known, and the JSON value with the original text."""
    raw, detail = rejection.raw, rejection.detail
    encoded = raw.encode("utf-8", "backslashreplace")
    if len(encoded) > max_raw_bytes:
        raw = encoded[:max_raw_bytes].decode("utf-8", "ignore")
        detail = f"{detail} (raw cut to its first {max_raw_bytes} of {len(encoded)} bytes)"
    value = {
        "reason": str(rejection.reason),
        "detail": detail,
        "stage": stage,
        "raw": raw,
        "rejected_at": utc_text(now),
    }
    key = rejection.reading_id.encode("utf-8") if rejection.reading_id is not None else None
    return key, json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")
