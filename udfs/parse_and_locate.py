"""Locate: the vectorised (pandas) UDF that validates each Kafka message and finds its region.

The job must not trust the producer, so every message is parsed again with the same rules as
ingestion (``readings.ReadingParser``), and valid readings are located in one vectorised
``RegionIndex`` call per Arrow batch. Broken messages leave as ready-made dead-letter records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import numpy as np
import pandas as pd
from pyflink.table import DataTypes
from pyflink.table.udf import FunctionContext, ScalarFunction, udf

from readings import Reading, ReadingParser, Rejection, locate_readings, rejection_record
from settings import ReadingRules

READING = "reading"
REJECTED = "rejected"

PARSED_MESSAGE = DataTypes.ROW(
    [
        DataTypes.FIELD("kind", DataTypes.STRING()),
        DataTypes.FIELD("id", DataTypes.STRING()),
        DataTypes.FIELD("event_ms", DataTypes.BIGINT()),
        DataTypes.FIELD("lat", DataTypes.DOUBLE()),
        DataTypes.FIELD("lon", DataTypes.DOUBLE()),
        DataTypes.FIELD("temperature", DataTypes.DOUBLE()),
        DataTypes.FIELD("region", DataTypes.STRING()),
        DataTypes.FIELD("reason", DataTypes.STRING()),
        DataTypes.FIELD("dead_letter_key", DataTypes.STRING()),
        DataTypes.FIELD("dead_letter_value", DataTypes.STRING()),
    ]
)
COLUMNS = [field.name for field in PARSED_MESSAGE.fields]


@dataclass(frozen=True)
class ParsedBatch:
    """Column lists in the order of ``PARSED_MESSAGE``; one entry per input message."""

    rows: list[tuple]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=COLUMNS)


def parse_and_locate_batch(
    payloads: Sequence[bytes | None], judged_at_ms: Sequence[int], parser: ReadingParser, regions, now: datetime
) -> ParsedBatch:
    """Validate and locate a batch; ``judged_at_ms`` is each record's Kafka timestamp.

    The readings topic stamps records with the broker's clock as it appends them
    (``LogAppendTime``, ``infra.provision.topic_configs``), so ``future_timestamp`` is judged by a
    clock no producer sets, and a replay of the topic reaches the same verdicts as the first run.
    Each rejection leaves as a record bounded by ``readings.rejected.MAX_RECORD_BYTES``.
    """
    verdicts: list[Reading | Rejection] = [
        parser.parse(payload if payload is not None else b"", int(judged))
        for payload, judged in zip(payloads, judged_at_ms)
    ]
    valid = [verdict for verdict in verdicts if type(verdict) is Reading]
    located = iter(locate_readings(valid, regions))
    rows = []
    for verdict in verdicts:
        if type(verdict) is Reading:
            where = next(located)
            if type(where) is str:
                rows.append(
                    (READING, verdict.id, verdict.event_time_ms, verdict.lat, verdict.lon,
                     verdict.temperature, where, None, None, None)
                )  # fmt: skip
                continue
            verdict = where
        key, value = rejection_record(verdict, "job", now)
        rows.append(
            (REJECTED, verdict.reading_id, None, None, None, None, None, str(verdict.reason),
             key.decode("utf-8") if key is not None else None, value.decode("utf-8"))
        )  # fmt: skip
    return ParsedBatch(rows)


def epoch_ms(moments: pd.Series) -> list[int]:
    """UTC epoch milliseconds of a datetime series, whatever its unit or zone (Arrow varies).

    Datetime columns are cast in numpy: ``pd.to_datetime`` iterated over them, a twentieth of the
    Python worker's time (py-spy). Naive times are UTC, as Flink hands TIMESTAMP_LTZ over.
    """
    if isinstance(moments.dtype, pd.DatetimeTZDtype):
        moments = moments.dt.tz_convert("UTC").dt.tz_localize(None)
    if not pd.api.types.is_datetime64_dtype(moments.dtype):
        moments = pd.to_datetime(moments, utc=True).dt.tz_localize(None)
    return moments.to_numpy(dtype="datetime64[ms]").astype(np.int64).tolist()


class ParseAndLocate(ScalarFunction):
    """The Flink shell: loads the region index once per Python worker and counts what it sees."""

    def __init__(self, rules: ReadingRules, fail_once_marker: str = "") -> None:
        self.rules = rules
        self.fail_once_marker = fail_once_marker

    def open(self, function_context: FunctionContext) -> None:
        from geo import RegionIndex

        self.parser = ReadingParser(self.rules)
        self.regions = RegionIndex.default()
        metrics = function_context.get_metric_group().add_group("iot")
        self.readings_in = metrics.counter("readings_in")
        self.readings_valid = metrics.counter("readings_located")
        self.outside_france = metrics.counter("readings_outside_france")
        self.rejected_group = metrics.add_group("rejected")
        self.rejected_by_reason: dict[str, object] = {}

    def _fail_once_if_asked(self) -> None:
        """Fault injection for the reliability tests: raise once, then never again."""
        if self.fail_once_marker and os.path.exists(self.fail_once_marker):
            os.remove(self.fail_once_marker)
            raise RuntimeError(f"injected failure ({self.fail_once_marker})")

    def eval(self, payload: pd.Series, judged_at: pd.Series) -> pd.DataFrame:
        self._fail_once_if_asked()
        batch = parse_and_locate_batch(
            payload.tolist(), epoch_ms(judged_at), self.parser, self.regions, datetime.now(timezone.utc)
        )
        self._count(batch)
        return batch.frame()

    def _count(self, batch: ParsedBatch) -> None:
        self.readings_in.inc(len(batch.rows))
        for row in batch.rows:
            if row[0] == READING:
                self.readings_valid.inc()
                continue
            reason = row[7]
            if reason == "outside_france":
                self.outside_france.inc()
            counter = self.rejected_by_reason.get(reason)
            if counter is None:
                counter = self.rejected_by_reason[reason] = self.rejected_group.counter(reason)
            counter.inc()


def parse_and_locate_udf(rules: ReadingRules, fail_once_marker: str = ""):
    return udf(
        ParseAndLocate(rules, fail_once_marker),
        input_types=[DataTypes.BYTES(), DataTypes.TIMESTAMP_LTZ(3)],
        result_type=PARSED_MESSAGE,
        func_type="pandas",
    )
