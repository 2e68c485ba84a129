"""The probe's arithmetic: lag per partition and freshness from the uncommitted records' timestamps."""

from __future__ import annotations

import threading

from monitoring.kafka_probe import PartitionPosition, freshness_seconds, probe_metrics, record_round, run


def test_lag_counts_from_the_committed_offset_or_the_earliest_kept_one() -> None:
    assert PartitionPosition(0, earliest=0, committed=7, end=10).lag == 3
    assert PartitionPosition(0, earliest=4, committed=None, end=10).lag == 6  # never committed: all kept records
    assert PartitionPosition(0, earliest=8, committed=2, end=10).lag == 2  # committed records expired since
    assert PartitionPosition(0, earliest=0, committed=10, end=10).lag == 0


def test_freshness_is_the_age_of_the_oldest_uncommitted_record() -> None:
    positions = [PartitionPosition(0, 0, 5, 9), PartitionPosition(1, 0, 3, 4), PartitionPosition(2, 0, 6, 6)]
    # Partition 2 is caught up: its timestamp (which the probe would not even fetch) must not count.
    timestamps = {0: 100_000, 1: 95_000, 2: 1_000}
    assert freshness_seconds(positions, timestamps, now_ms=110_000) == 15.0


def test_freshness_is_zero_when_caught_up_and_skips_a_partition_whose_record_was_not_read() -> None:
    assert freshness_seconds([PartitionPosition(0, 0, 6, 6)], {}, now_ms=5_000) == 0.0
    assert freshness_seconds([PartitionPosition(0, 0, 1, 6)], {}, now_ms=5_000) == 0.0


def test_a_round_publishes_lag_by_partition_and_freshness() -> None:
    metrics = probe_metrics()
    record_round(metrics, [PartitionPosition(0, 0, None, 3), PartitionPosition(1, 0, None, 0)], {0: 1_000}, now_ms=4_500)
    text = metrics.render()
    assert 'iot_pipeline_consumer_lag_records{partition="0"} 3' in text
    assert 'iot_pipeline_consumer_lag_records{partition="1"} 0' in text
    assert "iot_pipeline_freshness_seconds 3.5" in text
    assert "iot_pipeline_consumer_group_committed 0" in text


def test_a_kafka_failure_counts_an_error_and_the_probe_goes_on() -> None:
    metrics, stop, attempts = probe_metrics(), threading.Event(), []

    class Positions:
        def positions(self) -> list[PartitionPosition]:
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionError("kafka is down")
            stop.set()
            return [PartitionPosition(0, 0, 2, 2)]

        def timestamps_at(self, positions: list[PartitionPosition]) -> dict[int, int]:
            return {}

        def close(self) -> None:
            pass

    run(Positions, metrics, interval_s=0.01, stop=stop)
    assert metrics.value("probe_errors_total") == 1
    assert metrics.value("consumer_group_committed") == 1
