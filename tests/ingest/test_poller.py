"""The poller's loop with a fake clock, a fake source and a fake Kafka client: fast and exact."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Callable

import pytest

from ingest.api_client import ApiCallFailed, ApiRefused, ApiResponse, SensorApiClient
from ingest.mock_api import MockApiConfig, MockSensorApi
from ingest.poller import (
    EXIT_API_REFUSED, EXIT_KAFKA_REFUSED, EXIT_OK, EXIT_SPOOLED, Poller, PollReport, PollSchedule, ReadingSource,
    ingest_metrics,
)
from ingest.producer import Record, ReliableProducer
from ingest.spool import Spool
from settings import IngestSettings, KafkaSettings, ReadingRules
from tests.ingest.conftest import FakeClock, FakeDeliveryClient, SquareRegions, serving

TOPICS = KafkaSettings()


def reading(reading_id: str, lat: float = 48.0, lon: float = -3.0, timestamp: str = "2019-02-19 14:00:00") -> str:
    return json.dumps({"id": reading_id, "timestamp": timestamp, "lat": lat, "lon": lon, "temperature": 9.5})


def body(*elements: str) -> bytes:
    return ("[" + ", ".join(elements) + "]").encode()


class FakeSource:
    """Answers from a script: ApiResponse bodies, exceptions, or callables run with the clock."""

    def __init__(self, clock: FakeClock, script: list[bytes | Exception | Callable[[], bytes]], api_seconds: float = 0.1) -> None:
        self.clock = clock
        self.script = list(script)
        self.calls: list[float] = []
        self.api_seconds = api_seconds

    def fetch(self) -> ApiResponse:
        self.calls.append(self.clock.monotonic())
        step = self.script.pop(0) if self.script else body()
        if isinstance(step, Exception):
            raise step
        if callable(step):
            step = step()
        self.clock.advance(self.api_seconds)
        return ApiResponse(step, self.api_seconds)


def make(clock: FakeClock, source: ReadingSource, tmp_path: Path, client: FakeDeliveryClient | None = None, **settings) -> tuple[Poller, FakeDeliveryClient]:  # type: ignore[no-untyped-def]
    client = client or FakeDeliveryClient()
    client.clock = clock
    ingest = IngestSettings(**{"poll_interval_seconds": 10.0, "spool_dir": str(tmp_path / "spool"), "metrics_address": "", **settings})
    poller = Poller(source, ReliableProducer(client, clock), SquareRegions(), TOPICS, ReadingRules(), ingest, clock, ingest_metrics())
    return poller, client


def topic_values(client: FakeDeliveryClient, topic: str) -> list[tuple[bytes | None, bytes]]:
    return [(record.key, record.value) for record in client.delivered if record.topic == topic]


def test_valid_readings_go_to_readings_keyed_by_id_and_broken_ones_to_rejected(fake_clock: FakeClock, tmp_path: Path) -> None:
    elements = [reading("a"), '{"id": "b"}', reading("c", lat=40.4, lon=-3.7), reading("a", lat=42.0, lon=9.0), "7"]
    poller, client = make(fake_clock, FakeSource(fake_clock, [body(*elements)]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    assert topic_values(client, TOPICS.readings_topic) == [(b"a", elements[0].encode()), (b"a", elements[3].encode())]
    rejected = [(key, json.loads(value)) for key, value in topic_values(client, TOPICS.rejected_topic)]
    assert [(key, record["reason"], record["raw"]) for key, record in rejected] == [
        (b"b", "missing_field", elements[1]),
        (b"c", "outside_france", elements[2]),
        (None, "not_an_object", "7"),
    ]
    assert rejected[1][1]["detail"].endswith("nearest is Bretagne, 500.0 km away")
    assert rejected[0][1]["rejected_at"] == "2019-02-19T14:05:00.100Z"  # after the 0.1 s call
    metrics = poller.metrics
    assert metrics.value("readings_fetched_total") == 5 and metrics.value("readings_published_total") == 2
    assert metrics.value("rejected_total", reason="outside_france") == 1 and metrics.value("polls_total") == 1
    assert client.closed


def test_a_broken_response_is_rejected_once_as_a_whole(fake_clock: FakeClock, tmp_path: Path) -> None:
    poller, client = make(fake_clock, FakeSource(fake_clock, [b"<html>oops</html>"]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    [(key, value)] = topic_values(client, TOPICS.rejected_topic)
    assert key is None and json.loads(value)["reason"] == "malformed_json"
    assert json.loads(value)["raw"] == "<html>oops</html>"


def test_polls_stay_on_the_grid_and_never_overlap(fake_clock: FakeClock, tmp_path: Path) -> None:
    slow = lambda: (fake_clock.advance(13.0), body())[1]  # noqa: E731 - a 13 s call
    source = FakeSource(fake_clock, [body(), slow, body(), body()], api_seconds=0.5)
    poller, _ = make(fake_clock, source, tmp_path)
    assert poller.run(max_polls=4) == EXIT_OK
    assert [call - 1000.0 for call in source.calls] == [0.0, 10.0, 30.0, 40.0]  # 20 s slot skipped, no drift
    assert poller.metrics.value("skipped_polls_total") == 1


def test_failures_back_off_and_honour_retry_after(fake_clock: FakeClock, tmp_path: Path) -> None:
    script: list = [
        ApiCallFailed("down", "http_503"),
        ApiCallFailed("down", "connection"),
        ApiCallFailed("throttled", "http_429", retry_after=7.0),
        body(reading("a")),
    ]
    source = FakeSource(fake_clock, script)
    poller, client = make(fake_clock, source, tmp_path, max_backoff_seconds=60.0)
    assert poller.run(max_polls=1) == EXIT_OK
    gaps = [later - earlier for earlier, later in zip(source.calls, source.calls[1:])]
    assert 0.25 <= gaps[0] <= 0.5 and 0.5 <= gaps[1] <= 1.0 and gaps[2] == 7.0
    assert poller.metrics.value("poll_failures_total", kind="http_429") == 1
    assert len(topic_values(client, TOPICS.readings_topic)) == 1


def test_a_refused_key_stops_the_poller(fake_clock: FakeClock, tmp_path: Path) -> None:
    poller, _ = make(fake_clock, FakeSource(fake_clock, [ApiRefused("refused the API key (HTTP 401)")]), tmp_path)
    assert poller.run() == EXIT_API_REFUSED


def test_a_stop_ends_the_loop_between_polls(tmp_path: Path) -> None:
    clock = FakeClock(stop_after=2)
    poller, _ = make(clock, FakeSource(clock, []), tmp_path)
    assert poller.run() == EXIT_OK


def test_kafka_refusing_records_stops_and_spools(fake_clock: FakeClock, tmp_path: Path) -> None:
    client = FakeDeliveryClient(fail_next=1, fail_retriable=False)
    poller, _ = make(fake_clock, FakeSource(fake_clock, [body(reading("a"), reading("b"))]), tmp_path, client)
    assert poller.run() == EXIT_KAFKA_REFUSED
    [path] = Spool(tmp_path / "spool").files()
    assert [record.key for record in Spool.load(path)] == [b"a"]  # kept for a replay once fixed


def test_a_stop_during_a_kafka_outage_spools_after_the_timeout_and_the_next_start_delivers(tmp_path: Path) -> None:
    clock = FakeClock()
    down = FakeDeliveryClient(down=True)
    poller, _ = make(clock, FakeSource(clock, [body(reading("a"), reading("b"))]), tmp_path, down, shutdown_timeout_seconds=5.0)
    clock.stop_after = 15  # the stop arrives while Kafka is down
    assert poller.run() == EXIT_SPOOLED
    [path] = Spool(tmp_path / "spool").files()
    assert [record.key for record in Spool.load(path)] == [b"a", b"b"]

    clock = FakeClock()
    poller, client = make(clock, FakeSource(clock, [body(reading("c"))]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    assert [key for key, _ in topic_values(client, TOPICS.readings_topic)] == [b"a", b"b", b"c"]
    assert Spool(tmp_path / "spool").files() == []


def test_spooled_records_wait_again_if_kafka_is_still_down(tmp_path: Path) -> None:
    Spool(tmp_path / "spool").save([Record(TOPICS.readings_topic, b"a", b"{}")])
    clock = FakeClock(stop_after=3)
    poller, _ = make(clock, FakeSource(clock, []), tmp_path, FakeDeliveryClient(down=True), shutdown_timeout_seconds=1.0)
    assert poller.run() == EXIT_SPOOLED
    assert len(Spool(tmp_path / "spool").files()) == 2  # the old file stays until delivered


def test_kafka_slow_to_acknowledge_is_waited_for(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    client = FakeDeliveryClient(down=True)
    original_flush = client.flush

    def flaky_flush(timeout: float) -> None:
        if clock.time > 1012:
            client.down = False
        original_flush(timeout)

    client.flush = flaky_flush  # type: ignore[method-assign]
    poller, _ = make(clock, FakeSource(clock, [body(reading("a"))]), tmp_path, client)
    assert poller.run(max_polls=1) == EXIT_OK
    assert "kafka has not acknowledged 1 record(s) for 10 s; waiting" in caplog.text
    assert client.delivered


def test_stamping_with_the_fetch_time(fake_clock: FakeClock, tmp_path: Path) -> None:
    source = FakeSource(fake_clock, [body(reading("a", timestamp="2030-01-01 00:00:00"))])
    poller, client = make(fake_clock, source, tmp_path, stamp_fetch_time=True)
    assert poller.run(max_polls=1) == EXIT_OK
    [(_, value)] = topic_values(client, TOPICS.readings_topic)
    assert json.loads(value)["source_timestamp"] == "2030-01-01 00:00:00"


def test_schedule_and_report_line() -> None:
    schedule = PollSchedule(100.0, 10.0)
    assert [schedule.next_after(moment) for moment in (100.0, 105.0, 110.0, 131.0)] == [110.0, 110.0, 120.0, 140.0]
    report = PollReport(3, 1, {"missing_field": 2}, 0.1234, 0.5)  # type: ignore[arg-type]
    assert report.line() == "poll: fetched 3, published 1, rejected 2 (missing_field 2), latency 0.500 s (API 0.123 s)"
    assert PollReport(0, 0, {}, 0, 0).line().endswith("rejected 0, latency 0.000 s (API 0.000 s)")  # type: ignore[arg-type]


SECRET = "s3cret-Key-4d2f"


def test_the_api_key_appears_in_no_log_line_error_or_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """5xx, 429, a cut body, 401, a key no header can carry, connection refused and reset: the real client each time."""
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []

    def failure_of(client: SensorApiClient) -> None:
        with pytest.raises((ApiCallFailed, ApiRefused)) as failure:
            client.fetch()
        errors.append(failure.value)

    with MockSensorApi(MockApiConfig(api_key=SECRET, readings_per_call=3), SquareRegions()) as api:
        api.script(["server_error", "throttled", "truncated"])
        poller, client = make(FakeClock(), SensorApiClient(api.url, SECRET), tmp_path)
        assert poller.run(max_polls=2) == EXIT_OK
        api.script(["server_error"])
        failure_of(SensorApiClient(api.url, SECRET))
        for wrong in (SECRET[::-1], SECRET + "\n", SECRET + "é"):
            assert make(FakeClock(), SensorApiClient(api.url, wrong), tmp_path)[0].run() == EXIT_API_REFUSED
            failure_of(SensorApiClient(api.url, wrong))
    refused = SensorApiClient("http://127.0.0.1:9/sensor/temperatures", SECRET)
    assert make(FakeClock(stop_after=3), refused, tmp_path)[0].run() == EXIT_OK
    failure_of(refused)
    with serving(lambda request: request.connection.close()) as url:
        failure_of(SensorApiClient(url, SECRET))

    assert poller.metrics.value("poll_failures_total", kind="http_429") == 1
    assert "refused the API key (HTTP 401)" in caplog.text and "cannot carry" in caplog.text
    assert "cannot reach the sensor API" in caplog.text
    assert [type(error) for error in errors] == [ApiCallFailed, ApiRefused, ApiRefused, ApiRefused, ApiCallFailed, ApiCallFailed]
    told = caplog.text + "".join("".join(traceback.format_exception(error)) + repr(error) for error in errors)
    told += repr(SensorApiClient(api.url, SECRET)) + "".join(repr(record) for record in client.delivered)
    assert SECRET not in told and SECRET[::-1] not in told
