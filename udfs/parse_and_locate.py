"""Locate: the vectorised (pandas) UDF that finds each reading's region and judges the rest.

The job must not trust the producer, so every message is validated with the same rules as
ingestion. Most messages arrive already parsed by the JVM (``PlainReading``, which accepts only
what ``readings.ReadingParser`` accepts, with the same values): those are located in one
vectorised ``RegionIndex`` call per Arrow batch. The others are parsed here again by the Python
rules, so broken messages leave as ready-made dead-letter records with the Python reason.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    """One object array per column of ``PARSED_MESSAGE``, one entry per input message, and the
    reason of each rejection (for the counters)."""

    columns: dict[str, np.ndarray]
    reasons: list[str]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, columns=COLUMNS)

    @property
    def kinds(self) -> np.ndarray:
        return self.columns["kind"]


def parse_and_locate_batch(
    payloads: Sequence[bytes | None],
    judged_at_ms: Sequence[int],
    parser: ReadingParser,
    regions,
    now: datetime,
    plain_lat: np.ndarray | None = None,
    plain_lon: np.ndarray | None = None,
) -> ParsedBatch:
    """Validate and locate a batch; ``judged_at_ms`` is each record's Kafka timestamp.

    ``plain_lat``/``plain_lon`` are the coordinates of the messages the JVM already parsed as
    plainly valid readings (``PlainReading``; NaN for the others): those are only located, and
    their reading's other columns stay empty here (the job takes them from the JVM's row). Every
    other message, and a plain one outside France, is judged by ``parser``, so a rejection's
    reason and detail always come from the Python rules.

    The readings topic stamps records with the broker's clock as it appends them
    (``LogAppendTime``, ``infra.provision.topic_configs``), so ``future_timestamp`` is judged by a
    clock no producer sets, and a replay of the topic reaches the same verdicts as the first run.
    Each rejection leaves as a record bounded by ``readings.rejected.MAX_RECORD_BYTES``.
    """
    count = len(payloads)
    columns = {name: np.full(count, None, dtype=object) for name in COLUMNS}
    columns["kind"][:] = READING
    judged = np.arange(count)
    if plain_lat is not None and plain_lon is not None:
        plain = np.flatnonzero(~np.isnan(plain_lat))
        names = regions.lookup(plain_lat[plain], plain_lon[plain]) if plain.size else np.empty(0, dtype=object)
        columns["region"][plain] = names
        judged = np.sort(np.concatenate([np.flatnonzero(np.isnan(plain_lat)), plain[pd.isna(names)]]))
    verdicts: list[Reading | Rejection] = [
        parser.parse(payloads[at] if payloads[at] is not None else b"", int(judged_at_ms[at])) for at in judged
    ]
    located = iter(locate_readings([verdict for verdict in verdicts if type(verdict) is Reading], regions))
    reasons = []
    for at, verdict in zip(judged, verdicts, strict=True):
        if isinstance(verdict, Reading):
            where = next(located)
            if isinstance(where, str):
                for name, cell in (("id", verdict.id), ("event_ms", verdict.event_time_ms), ("lat", verdict.lat),
                                   ("lon", verdict.lon), ("temperature", verdict.temperature), ("region", where)):
                    columns[name][at] = cell
                continue
            verdict = where
        key, value = rejection_record(verdict, "job", now)
        reasons.append(str(verdict.reason))
        columns["kind"][at] = REJECTED
        columns["region"][at] = None
        for name, field in (("id", verdict.reading_id), ("reason", str(verdict.reason)),
                            ("dead_letter_key", key.decode("utf-8") if key is not None else None),
                            ("dead_letter_value", value.decode("utf-8"))):
            columns[name][at] = field
    return ParsedBatch(columns, reasons)


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
        self.metrics = metrics
        self.rejected_by_reason: dict[str, Any] = {}  # Flink's metric counters

    def _fail_once_if_asked(self) -> None:
        """Fault injection for the reliability tests: raise once, then never again."""
        if self.fail_once_marker and os.path.exists(self.fail_once_marker):
            os.remove(self.fail_once_marker)
            raise RuntimeError(f"injected failure ({self.fail_once_marker})")

    def eval(self, payload: pd.Series, judged_at: pd.Series, plain_lat: pd.Series, plain_lon: pd.Series) -> pd.DataFrame:
        self._fail_once_if_asked()
        batch = parse_and_locate_batch(
            payload.to_numpy(), epoch_ms(judged_at), self.parser, self.regions, datetime.now(UTC),
            plain_lat.to_numpy(dtype=float, na_value=np.nan), plain_lon.to_numpy(dtype=float, na_value=np.nan),
        )
        self._count(batch)
        return batch.frame()

    def _count(self, batch: ParsedBatch) -> None:
        self.readings_in.inc(len(batch.kinds))
        self.readings_valid.inc(len(batch.kinds) - len(batch.reasons))
        for reason, times in Counter(batch.reasons).items():
            if reason == "outside_france":
                self.outside_france.inc(times)
            counter = self.rejected_by_reason.get(reason)
            if counter is None:
                # A key-value group: one metric with a reason label (iot_reason_readings_rejected{reason=...}).
                counter = self.rejected_by_reason[reason] = self.metrics.add_group("reason", reason).counter("readings_rejected")
            counter.inc(times)


def parse_and_locate_udf(rules: ReadingRules, fail_once_marker: str = ""):
    return udf(
        ParseAndLocate(rules, fail_once_marker),
        input_types=[DataTypes.BYTES(), DataTypes.TIMESTAMP_LTZ(3), DataTypes.DOUBLE(), DataTypes.DOUBLE()],
        result_type=PARSED_MESSAGE,
        func_type="pandas",
    )
