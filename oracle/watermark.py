"""The event time one message offers the watermark, read the way the job's source reads it.

The job declares its watermark in SQL on the Kafka source, before any Python runs
(``jobs.hourly_region_means.event_time_expression``): ``JSON_VALUE(payload, '$.timestamp')``
parsed as a time, the epoch when it does not parse or lies beyond the future margin. So a
message moves the watermark whenever its ``timestamp`` reads, whatever else is wrong with it
(a missing field, a string temperature, a point at sea), and never when the text is not
strict JSON: Flink's JSON functions refuse ``NaN`` and ``Infinity`` literals, as orjson does.
"""

from __future__ import annotations

import orjson

from readings.timestamps import InvalidTimestamp, epoch_ms, zone_of
from settings import ReadingRules


def watermark_time_ms(value: bytes, judged_at_ms: int, rules: ReadingRules) -> int | None:
    """Event time (UTC epoch ms, truncated to the second like the job's SQL) or None if it offers none."""
    try:
        message = orjson.loads(value.decode("utf-8", "replace"))
    except orjson.JSONDecodeError:
        return None
    stamp = message.get("timestamp") if type(message) is dict else None
    if type(stamp) is not str:
        return None
    try:
        event_ms = epoch_ms(stamp, zone_of(rules.timezone))
    except InvalidTimestamp:
        return None
    if event_ms - judged_at_ms > round(rules.future_margin_seconds * 1000):
        return None
    return event_ms - event_ms % 1000
