"""The job's two parsers in one call, as the job chains them: the JVM's ``PlainReading``, then the
parse-and-locate UDF's batch function on what it left (tests of the catalogue and the records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import numpy as np
from pyflink.java_gateway import get_gateway

from readings import ReadingParser
from readings.timestamps import earliest_ms
from settings import ReadingRules
from udfs.jvm_functions import job_functions
from udfs.parse_and_locate import READING, ParsedBatch, parse_and_locate_batch


class PlainReading(NamedTuple):
    id: str
    event_ms: int
    lat: float
    lon: float
    temperature: float


def jvm_plain_reading(payload: bytes | None, judged_at_ms: int, rules: ReadingRules) -> PlainReading | None:
    """What ``PlainReading`` (jvm/job-functions) makes of one message: its reading, or None (its
    row of nulls), collected from the table function as the job's planner does."""
    jvm = get_gateway().jvm
    function, rows = job_functions().events.PlainReading(), jvm.java.util.ArrayList()
    function.setCollector(jvm.org.apache.flink.api.common.functions.util.ListCollector(rows))
    data = jvm.org.apache.flink.table.data
    function.eval(
        payload, data.TimestampData.fromEpochMillis(judged_at_ms), data.StringData.fromString(rules.timezone),
        round(rules.future_margin_seconds * 1000), earliest_ms(rules.earliest_year), rules.max_id_length,
        float(rules.min_temperature), float(rules.max_temperature),
    )  # fmt: skip
    [row] = rows
    if row.isNullAt(0):
        return None
    return PlainReading(row.getString(0).toString(), row.getLong(1), row.getDouble(2), row.getDouble(3), row.getDouble(4))


class JobParse(NamedTuple):
    """The parse step's output per message: the UDF's columns, with each reading's fields filled
    from whichever parser read it (the job's ``COALESCE``)."""

    batch: ParsedBatch
    rows: list[dict]


def job_parse(
    payloads: Sequence[bytes | None], judged_at_ms: Sequence[int], regions, now: datetime, rules: ReadingRules = ReadingRules()
) -> JobParse:
    plain = [jvm_plain_reading(payload, judged, rules) for payload, judged in zip(payloads, judged_at_ms, strict=True)]
    lat = np.array([np.nan if reading is None else reading.lat for reading in plain])
    lon = np.array([np.nan if reading is None else reading.lon for reading in plain])
    batch = parse_and_locate_batch(list(payloads), list(judged_at_ms), ReadingParser(rules), regions, now, lat, lon)
    rows = batch.frame().to_dict("records")
    for row, reading in zip(rows, plain, strict=True):
        if row["kind"] == READING and reading is not None:
            for name, value in reading._asdict().items():
                row[name] = value if row[name] is None else row[name]
    return JobParse(batch, rows)
