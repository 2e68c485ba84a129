"""The event time one message offers the watermark, read the way the job's source reads it.

The job declares its watermark on the Kafka source, before any Python runs
(``jobs.hourly_region_means.event_time_expression``, the JVM function ``ReadingEventTime``): the
payload's top-level ``timestamp`` string read with the parser's rules, the epoch when it does not
read or lies outside the accepted range (before the earliest accepted time, or beyond the future
margin of the broker's clock). So a message moves the watermark whenever its
``timestamp`` reads, whatever else is wrong with it (a missing field, a string temperature, a
point at sea), and never when the text is not strict JSON (``NaN`` and ``Infinity`` literals are
refused, as orjson does). ``tests/jobs/test_hourly_region_means.py`` holds both to the same answers.
"""

from __future__ import annotations

import orjson

from readings.timestamps import InvalidTimestamp, earliest_ms, epoch_ms, zone_of
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
    if event_ms < earliest_ms(rules.earliest_year) or event_ms - judged_at_ms > round(rules.future_margin_seconds * 1000):
        return None
    return event_ms - event_ms % 1000
