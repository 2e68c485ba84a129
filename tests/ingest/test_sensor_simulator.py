"""The simulator is plausible, deterministic, and right about what each of its records is."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest

from ingest.sensor_simulator import CLIMATES, FaultMix, SensorSimulator
from readings import Reading, ReadingParser, locate_readings
from settings import ReadingRules
from tests.ingest.conftest import SquareRegions
from tests.support.verdicts import reading

NOW_MS = 1_550_585_100_000  # 2019-02-19 14:05 UTC
ALL_FAULTS = FaultMix(out_of_order=0.1, late=0.05, duplicates=0.05, corrections=0.1, malformed=0.3, outside_france=0.1)


def times(count: int) -> np.ndarray:
    return NOW_MS - np.arange(count, 0, -1) * 100


def outcomes(simulator: SensorSimulator, count: int, rules: ReadingRules = ReadingRules(), regions=None):
    batch = simulator.batch(times(count), NOW_MS)
    parser = ReadingParser(rules)
    parsed = [parser.parse(text, NOW_MS) for text in batch.texts]
    valid = [outcome for outcome in parsed if isinstance(outcome, Reading)]
    located = iter(locate_readings(valid, regions or SquareRegions()))
    return batch, [next(located) if isinstance(outcome, Reading) else outcome for outcome in parsed]


@pytest.mark.parametrize("message_faults", [False, True])
def test_expected_reasons_and_keys_match_the_validation(message_faults: bool) -> None:
    simulator = SensorSimulator(SquareRegions(), seed=5, faults=ALL_FAULTS, message_faults=message_faults)
    batch, results = outcomes(simulator, 4000)
    for text, key, expected, result in zip(batch.texts, batch.keys, batch.expected_reasons, results, strict=True):
        if expected is None:
            assert isinstance(result, str), (text, result)
        else:
            assert result.reason is expected, (text, result)
            assert (result.reading_id.encode() if result.reading_id else None) == key, text
    kinds = Counter(batch.kinds)
    assert {"valid", "out_of_order", "late", "duplicate", "correction", "outside_france", "missing_field"} <= set(kinds)
    assert ("empty_message" in kinds) is message_faults


def test_the_same_seed_serves_the_same_records() -> None:
    first = SensorSimulator(SquareRegions(), seed=3, faults=ALL_FAULTS).batch(times(500), NOW_MS)
    second = SensorSimulator(SquareRegions(), seed=3, faults=ALL_FAULTS).batch(times(500), NOW_MS)
    other = SensorSimulator(SquareRegions(), seed=4, faults=ALL_FAULTS).batch(times(500), NOW_MS)
    assert first == second and first.texts != other.texts


def test_readings_are_plausible_and_inside_their_regions() -> None:
    simulator = SensorSimulator(SquareRegions(), seed=1)
    batch, results = outcomes(simulator, 2000)
    assert set(results) == {"Bretagne", "Corse"} and batch.kinds == ["valid"] * 2000
    parser = ReadingParser(ReadingRules())
    temperatures = [reading(parser.parse(text, NOW_MS)).temperature for text in batch.texts]
    assert -10 < np.mean(temperatures) < 25 and np.std(temperatures) < 8


def test_the_day_is_warmer_than_the_night() -> None:
    simulator = SensorSimulator(SquareRegions(), seed=2)
    parser = ReadingParser(ReadingRules())
    day = np.full(500, 1_561_042_800_000)  # 2019-06-20 15:00 UTC
    night = np.full(500, 1_560_999_600_000)  # 03:00 UTC the same day
    later = 2_000_000_000_000

    def mean(moments: np.ndarray) -> float:
        return float(np.mean([reading(parser.parse(t, later)).temperature for t in simulator.batch(moments, later).texts]))

    assert mean(day) > mean(night) + 4


def test_corrections_keep_the_id_and_change_one_thing() -> None:
    simulator = SensorSimulator(SquareRegions(), seed=8, faults=FaultMix(corrections=0.5))
    batch = simulator.batch(times(400), NOW_MS)
    parser = ReadingParser(ReadingRules())
    versions: dict[str, list[Reading]] = {}
    for text in batch.texts:
        version = reading(parser.parse(text, NOW_MS))
        versions.setdefault(version.id, []).append(version)
    corrected = [history for history in versions.values() if len(history) > 1]
    assert corrected
    for history in corrected:
        for before, after in pairwise(history):
            changed = [before.temperature != after.temperature, before.event_time_ms != after.event_time_ms,
                       (before.lat, before.lon) != (after.lat, after.lon)]
            assert sum(changed) <= 1 and after.event_time_ms <= NOW_MS


def test_a_first_duplicate_without_history_is_a_plain_reading() -> None:
    batch = SensorSimulator(SquareRegions(), seed=0, faults=FaultMix(duplicates=1.0)).batch(times(3), NOW_MS)
    assert batch.kinds == ["valid", "duplicate", "duplicate"] and batch.texts[1] == batch.texts[0]


def test_timestamps_in_another_zone() -> None:
    simulator = SensorSimulator(SquareRegions(), seed=1, timezone_name="Europe/Paris", faults=ALL_FAULTS)
    batch, results = outcomes(simulator, 300, ReadingRules(timezone="Europe/Paris"))
    plain = SensorSimulator(SquareRegions(), seed=1, timezone_name="Europe/Paris").batch(times(1), NOW_MS)
    assert b'"timestamp": "2019-02-19 15:04:59"' in plain.texts[0]
    assert all(
        isinstance(result, str) for result, expected in zip(results, batch.expected_reasons, strict=True) if expected is None
    )


def test_every_official_region_has_a_climate(regions) -> None:
    assert set(regions.names) == set(CLIMATES)


@pytest.mark.parametrize("mix", [{"late": 1.5}, {"late": -0.1}, {"late": 0.6, "malformed": 0.6}])
def test_fault_shares_are_checked(mix: dict) -> None:
    with pytest.raises(ValueError, match="fault shares"):
        FaultMix(**mix)
