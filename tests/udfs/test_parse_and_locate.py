"""The parse-and-locate UDF: the same rules as ingestion, one vectorised lookup per batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from readings import ReadingParser
from settings import ReadingRules
from tests.udfs.fake_metrics import FakeMetrics
from udfs.parse_and_locate import (
    COLUMNS,
    READING,
    REJECTED,
    ParseAndLocate,
    epoch_ms,
    parse_and_locate_batch,
    parse_and_locate_udf,
)

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def reading(**fields) -> bytes:
    base = {"id": "r1", "timestamp": "2026-11-28 11:00:00", "lat": 48.11, "lon": -1.68, "temperature": 9.5, "country": "France"}
    return json.dumps({**base, **fields}).encode()


class FakeRegions:
    """Rennes is in Bretagne; everything else is at sea, 12.3 km from Normandie."""

    def lookup(self, lat, lon):
        return pd.Series(["Bretagne" if round(a, 2) == 48.11 else None for a in lat]).to_numpy(dtype=object)

    def nearest(self, lat, lon):
        return ["Normandie"] * len(lat), [12.3] * len(lat)


def test_valid_invalid_and_outside_readings_each_get_a_row_in_order() -> None:
    payloads = [reading(), b"{oops", reading(id="r2", lat=49.9, lon=-5.0), None,
                reading(id="r3", timestamp="2026-11-29 12:00:00")]
    batch = parse_and_locate_batch(payloads, [NOW_MS] * 5, ReadingParser(ReadingRules()), FakeRegions(), NOW)
    frame = batch.frame()
    assert list(frame.columns) == COLUMNS
    assert list(frame["kind"]) == [READING, REJECTED, REJECTED, REJECTED, REJECTED]
    assert list(frame["reason"][1:]) == ["malformed_json", "outside_france", "empty_message", "future_timestamp"]
    first = frame.iloc[0]
    assert (first["id"], first["region"], first["temperature"]) == ("r1", "Bretagne", 9.5)
    assert first["event_ms"] == int(datetime(2026, 11, 28, 11, tzinfo=UTC).timestamp() * 1000)
    outside = json.loads(frame.iloc[2]["dead_letter_value"])
    assert outside["stage"] == "job" and "Normandie" in outside["detail"] and "12.3 km" in outside["detail"]
    assert frame.iloc[2]["dead_letter_key"] == "r2"
    assert frame.iloc[1]["dead_letter_key"] is None


def test_future_is_judged_against_the_record_timestamp_not_the_wall_clock() -> None:
    late_clock = NOW_MS + 86_400_000
    batch = parse_and_locate_batch([reading(timestamp="2026-11-29 11:00:00")], [late_clock], ReadingParser(ReadingRules()),
                                   FakeRegions(), NOW)
    assert batch.kinds[0] == READING


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
def test_epoch_ms_whatever_the_arrow_unit(unit: str) -> None:
    series = pd.Series(pd.to_datetime(["2026-11-28 12:00:00.123"]).astype(f"datetime64[{unit}]"))
    assert epoch_ms(series) == [NOW_MS + 123]
    assert epoch_ms(series.dt.tz_localize("UTC")) == [NOW_MS + 123]
    assert epoch_ms(series.dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")) == [NOW_MS + 123]
    assert epoch_ms(pd.Series([datetime(2026, 11, 28, 13, 0, 0, 123000, tzinfo=timezone(timedelta(hours=1)))])) == [NOW_MS + 123]


def opened_udf(marker: str = "") -> tuple[ParseAndLocate, FakeMetrics]:
    function, metrics = ParseAndLocate(ReadingRules(), marker), FakeMetrics()
    function.open(SimpleNamespace(get_metric_group=lambda: metrics))
    return function, metrics


def not_plain(count: int) -> tuple[pd.Series, pd.Series]:
    """The coordinates the JVM hands over for messages it did not parse: NULL, NaN in pandas."""
    return pd.Series([None] * count, dtype="float64"), pd.Series([None] * count, dtype="float64")


def test_plain_readings_are_only_located_and_the_rest_judged_by_the_python_rules() -> None:
    """The JVM's plain readings bring their coordinates: they are located, nothing else; a plain
    reading outside France and every message the JVM left alone are judged by the parser."""
    payloads = [b"not parsed again", reading(id="r2"), b"also not parsed", reading(id="sea", lat=49.9, lon=-5.0), b"{oops"]
    lat = np.array([48.11, np.nan, 48.11, 49.9, np.nan])
    lon = np.array([-1.68, np.nan, -1.68, -5.0, np.nan])
    batch = parse_and_locate_batch(payloads, [NOW_MS] * 5, ReadingParser(ReadingRules()), FakeRegions(), NOW, lat, lon)
    frame = batch.frame()
    assert list(frame["kind"]) == [READING, READING, READING, REJECTED, REJECTED]
    assert list(frame["region"]) == ["Bretagne", "Bretagne", "Bretagne", None, None]
    assert frame.iloc[0]["id"] is None and frame.iloc[0]["event_ms"] is None  # the job takes them from the JVM
    assert frame.iloc[1]["id"] == "r2" and frame.iloc[1]["temperature"] == 9.5
    assert list(frame["reason"][3:]) == ["outside_france", "malformed_json"]
    assert json.loads(frame.iloc[3]["dead_letter_value"])["raw"] == payloads[3].decode()
    assert batch.reasons == ["outside_france", "malformed_json"]


def test_udf_counts_readings_and_rejections_by_reason() -> None:
    function, metrics = opened_udf()
    payloads = pd.Series([reading(), reading(id="x", lat=40.4, lon=-3.7), b"[]", b"[]"])
    frame = function.eval(payloads, pd.Series([pd.Timestamp(NOW)] * 4), *not_plain(4))
    assert list(frame["kind"]) == [READING, REJECTED, REJECTED, REJECTED]
    counts = {name: c.count for name, c in metrics.counters.items()}
    assert counts == {"readings_in": 4, "readings_located": 1, "readings_outside_france": 1,
                      "reason=outside_france/readings_rejected": 1, "reason=not_an_object/readings_rejected": 2}


def test_injected_failure_fires_once(tmp_path: Path) -> None:
    marker = tmp_path / "fail-once"
    marker.touch()
    function, _ = opened_udf(str(marker))
    with pytest.raises(RuntimeError, match="injected failure"):
        function.eval(pd.Series([reading()]), pd.Series([pd.Timestamp(NOW)]), *not_plain(1))
    assert not marker.exists()
    assert len(function.eval(pd.Series([reading()]), pd.Series([pd.Timestamp(NOW)]), *not_plain(1))) == 1


def test_udf_is_declared_vectorised_with_the_parsed_row_type() -> None:
    declared = parse_and_locate_udf(ReadingRules())
    assert declared._func_type == "pandas"
    assert [field.name for field in declared._result_type.fields] == COLUMNS
