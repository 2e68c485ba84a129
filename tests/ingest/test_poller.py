"""The poller's loop with a fake clock, a fake source and a fake Kafka client: fast and exact."""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from ingest.api_client import ApiCallFailed, ApiRefused, ApiResponse, SensorApiClient
from ingest.clock import Clock
from ingest.mock_api import MockApiConfig, MockSensorApi
from ingest.poller import (
    EXIT_KAFKA_REFUSED,
    EXIT_MISCONFIGURED,
    EXIT_OK,
    EXIT_SPOOLED,
    Poller,
    PollReport,
    PollSchedule,
    ReadingSource,
    ingest_metrics,
)
from ingest.producer import RECORD_OVERHEAD_BYTES, Failure, Record, ReliableProducer
from ingest.spool import Spool
from settings import IngestSettings, KafkaSettings, ReadingRules
from tests.ingest.conftest import SquareRegions
from tests.support.fake_clock import FakeClock
from tests.support.fake_kafka_client import FakeDeliveryClient
from tests.support.http_server import serving

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


def make(
    clock: Clock, source: ReadingSource, tmp_path: Path, client: FakeDeliveryClient | None = None, **settings
) -> tuple[Poller, FakeDeliveryClient]:
    client = client or FakeDeliveryClient()
    client.clock = clock
    ingest = IngestSettings(**{"poll_interval_seconds": 10.0, "spool_dir": str(tmp_path / "spool"), "metrics_address": "",
                               **settings})
    poller = Poller(source, ReliableProducer(client, clock), SquareRegions(), TOPICS, ReadingRules(), ingest, clock,
                    ingest_metrics())
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
    assert 'iot_ingest_api_call_seconds_bucket{le="0.1"} 1' in metrics.render()  # the 0.1 s call
    assert client.closed


def test_a_broken_response_is_rejected_once_as_a_whole(fake_clock: FakeClock, tmp_path: Path) -> None:
    poller, client = make(fake_clock, FakeSource(fake_clock, [b"<html>oops</html>"]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    [(key, value)] = topic_values(client, TOPICS.rejected_topic)
    assert key is None and json.loads(value)["reason"] == "malformed_json"
    assert json.loads(value)["raw"] == "<html>oops</html>"


def test_polls_stay_on_the_grid_and_never_overlap(fake_clock: FakeClock, tmp_path: Path) -> None:
    def slow() -> bytes:
        """A 13 s call."""
        fake_clock.advance(13.0)
        return body()

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
    gaps = [later - earlier for earlier, later in pairwise(source.calls)]
    assert 0.25 <= gaps[0] <= 0.5 and 0.5 <= gaps[1] <= 1.0 and gaps[2] == 7.0
    assert poller.metrics.value("poll_failures_total", kind="http_429") == 1
    assert len(topic_values(client, TOPICS.readings_topic)) == 1


def test_a_refused_key_stops_the_poller(fake_clock: FakeClock, tmp_path: Path) -> None:
    poller, _ = make(fake_clock, FakeSource(fake_clock, [ApiRefused("refused the API key (HTTP 401)")]), tmp_path)
    assert poller.run() == EXIT_MISCONFIGURED


def test_a_stop_ends_the_loop_between_polls(tmp_path: Path) -> None:
    clock = FakeClock(stop_after=2)
    poller, _ = make(clock, FakeSource(clock, []), tmp_path)
    assert poller.run() == EXIT_OK


def test_kafka_refusing_records_stops_and_spools(fake_clock: FakeClock, tmp_path: Path) -> None:
    client = FakeDeliveryClient(fail_next=1, fail_as=Failure.REFUSED)
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
    assert Spool(tmp_path / "spool").files() == [] and poller.metrics.value("spool_files") == 0


def test_spooled_records_wait_again_if_kafka_is_still_down_in_one_file(tmp_path: Path) -> None:
    """The spool is replayed once: a stop during the replay leaves one copy, not one more per restart."""
    spool = Spool(tmp_path / "spool")
    spool.save([Record(TOPICS.readings_topic, b"a", b"{}")])
    for _ in range(3):
        clock = FakeClock(stop_after=3)
        poller, _ = make(clock, FakeSource(clock, []), tmp_path, FakeDeliveryClient(down=True), shutdown_timeout_seconds=1.0)
        assert poller.run() == EXIT_SPOOLED
        [path] = spool.files()
        assert list(Spool.load(path)) == [Record(TOPICS.readings_topic, b"a", b"{}")]


def test_kafka_slow_to_acknowledge_is_waited_for(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    client = FakeDeliveryClient(down=True)
    original_flush = client.flush

    def flaky_flush(timeout: float) -> None:
        if clock.time > 1012:
            client.down = False
        original_flush(timeout)

    client.flush = flaky_flush  # type: ignore[method-assign]  # the fake's method, swapped for this test
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
    report = PollReport(3, 1, Counter({"missing_field": 2}), 0.1234, 0.5)
    assert report.line() == "poll: fetched 3, published 1, rejected 2 (missing_field 2), latency 0.500 s (API 0.123 s)"
    assert PollReport(0, 0, Counter(), 0, 0).line().endswith("rejected 0, latency 0.000 s (API 0.000 s)")


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
            assert make(FakeClock(), SensorApiClient(api.url, wrong), tmp_path)[0].run() == EXIT_MISCONFIGURED
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


# Issue 13 ("hostile input"): each case of its "Why" list that concerns iot-ingest.


def rejected_records(client: FakeDeliveryClient) -> list[tuple[bytes | None, dict]]:
    return [(key, json.loads(value)) for key, value in topic_values(client, TOPICS.rejected_topic)]


HUGE = 10 * 1024 * 1024


@pytest.mark.parametrize(
    "hostile",
    [
        json.dumps({"id": "big", "timestamp": "2019-02-19 14:00:00", "lat": 48.0, "lon": -3.0, "temperature": 9.5,
                    "note": "x" * HUGE}),
        reading("big", timestamp="2019-02-19 " + "1" * (HUGE // 2)),
        '{"id": "big", "' + "k" * (HUGE // 2) + '": 1, "' + "k" * (HUGE // 2) + '": 2}',
        reading("mid", timestamp="2019-02-19 " + "1" * 60_000),  # under the reading limit: its detail repeats it
        '{"id": "mid", "' + "k" * 30_000 + '": 1, "' + "k" * 30_000 + '": 2}',
    ],
    ids=["10MB_string_field", "5MB_timestamp", "5MB_repeated_key", "60KB_timestamp", "30KB_repeated_key"],
)
def test_a_huge_item_is_rejected_alone_and_the_good_readings_beside_it_are_published(
    hostile: str, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Case 2: a 10 MB field, a 5 MB timestamp or a 5 MB repeated key gave exit 3, the good reading lost, the poller wedged."""
    source = FakeSource(fake_clock, [body(reading("a"), hostile, reading("b")), body(reading("c"))])
    poller, client = make(fake_clock, source, tmp_path, FakeDeliveryClient(max_record_bytes=1024 * 1024))
    assert poller.run(max_polls=2) == EXIT_OK
    assert [key for key, _ in topic_values(client, TOPICS.readings_topic)] == [b"a", b"b", b"c"]
    [(_, record)] = rejected_records(client)
    assert record["reason"] in ("message_too_large", "invalid_timestamp", "duplicate_key")
    assert hostile.startswith(record["raw"][:1000])
    assert all(len(value) <= 1024 * 1024 for _, value in topic_values(client, TOPICS.rejected_topic))
    assert Spool(tmp_path / "spool").files() == []


def test_a_rejection_record_is_cut_to_what_the_producer_takes(fake_clock: FakeClock, tmp_path: Path) -> None:
    hostile = reading("mid", timestamp="2019-02-19 " + "\x01" * 10_000)  # 6 bytes in the element, 7 in the record
    poller, client = make(fake_clock, FakeSource(fake_clock, [body(hostile, reading("a"))]), tmp_path,
                          FakeDeliveryClient(max_record_bytes=40_000))
    assert poller.run(max_polls=1) == EXIT_OK
    [(key, record)] = rejected_records(client)
    assert key == b"mid" and record["reason"] == "invalid_timestamp" and record["truncated"] is True
    assert hostile.startswith(record["raw"]) and record["original_bytes"] > 70_000
    assert len(json.dumps(record, ensure_ascii=False).encode()) <= 40_000 - RECORD_OVERHEAD_BYTES
    assert poller.metrics.value("rejected_total", reason="invalid_timestamp") == 1
    assert topic_values(client, TOPICS.readings_topic) == [(b"a", reading("a").encode())]


def test_a_spooled_record_kafka_cannot_take_is_rejected_once_and_polling_goes_on(fake_clock: FakeClock, tmp_path: Path) -> None:
    """Case 2: the 13 MB record spooled by exit 3 was refused at every start, and a new copy spooled each time."""
    spool = Spool(tmp_path / "spool")
    huge = Record(TOPICS.readings_topic, b"big", b'{"note": "' + b"x" * (13 * 1024 * 1024) + b'"}')
    spool.save([Record(TOPICS.readings_topic, b"a", reading("a").encode()), huge])
    poller, client = make(fake_clock, FakeSource(fake_clock, [body(reading("b"))]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    assert [key for key, _ in topic_values(client, TOPICS.readings_topic)] == [b"a", b"b"]
    [(key, record)] = rejected_records(client)
    assert key == b"big" and record["reason"] == "message_too_large" and "13631500-byte message" in record["detail"]
    assert spool.files() == []


def test_a_record_the_broker_refuses_as_too_large_is_rejected_not_spooled(fake_clock: FakeClock, tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    """A broker whose limit is below the client's: the reading is rejected; a rejection it still refuses is logged, counted."""
    bulky = json.dumps({"id": "bulky", "timestamp": "2019-02-19 14:00:00", "lat": 48.0, "lon": -3.0, "temperature": 9.5,
                        "note": "x" * 50_000})
    client = FakeDeliveryClient(broker_max_bytes=40_000)
    poller, _ = make(fake_clock, FakeSource(fake_clock, [body(reading("a"), bulky)]), tmp_path, client)
    assert poller.run(max_polls=1) == EXIT_OK
    assert topic_values(client, TOPICS.readings_topic) == [(b"a", reading("a").encode())]
    assert rejected_records(client) == []  # the message_too_large record (50 KB of raw) is too large for it too
    assert poller.metrics.value("undeliverable_total") == 1 and "it is dropped" in caplog.text
    assert poller.metrics.value("readings_published_total") == 1 and Spool(tmp_path / "spool").files() == []

    client = FakeDeliveryClient(broker_max_bytes=70_000)
    clock = FakeClock()
    poller, _ = make(clock, FakeSource(clock, [body(reading("a"), bulky)]), tmp_path, client)
    client.broker_max_bytes = 40_000  # the readings topic's limit only: the rejected record is smaller than 70,000
    original_flush = client.flush

    def per_topic_limit(timeout: float) -> None:
        client.broker_max_bytes = 40_000 if any(record.topic == TOPICS.readings_topic for record, *_ in client.pending) else None
        original_flush(timeout)

    client.flush = per_topic_limit  # type: ignore[method-assign]  # the fake's method, swapped for this test
    assert poller.run(max_polls=1) == EXIT_OK
    [(key, record)] = rejected_records(client)
    assert key == b"bulky" and record["reason"] == "message_too_large" and record["raw"] == bulky
    assert "kafka cannot take this" in record["detail"] and poller.metrics.value("readings_published_total") == 1


def client_stopping_after(clock: FakeClock, sends: int) -> FakeDeliveryClient:
    """A delivery client that asks the poller to stop (as SIGTERM does) once it has sent ``sends`` records."""
    client = FakeDeliveryClient()
    original_send = client.send

    def send_then_maybe_stop(record: Record, token: int, report) -> None:
        original_send(record, token, report)
        if client.sends == sends:
            clock.request_stop()

    client.send = send_then_maybe_stop  # type: ignore[method-assign]  # the fake's method, swapped for this test
    return client


def test_a_stop_or_a_refusal_during_the_replay_leaves_the_spool_as_it_was(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    saved = [Record(TOPICS.readings_topic, f"r{number}".encode(), reading(f"r{number}").encode()) for number in range(5)]
    spool.save(saved)
    clock = FakeClock()
    client = client_stopping_after(clock, sends=2)
    poller, _ = make(clock, FakeSource(clock, []), tmp_path, client)
    assert poller.run() == EXIT_SPOOLED
    [path] = spool.files()
    assert list(Spool.load(path)) == saved and len(client.delivered) == 2  # sent again next time: exact duplicates

    clock = FakeClock()
    poller, _ = make(clock, FakeSource(clock, []), tmp_path, FakeDeliveryClient(fail_next=1, fail_as=Failure.REFUSED))
    assert poller.run() == EXIT_KAFKA_REFUSED
    assert spool.files() == [path] and list(Spool.load(path)) == saved


def test_an_unreadable_spool_file_is_set_aside_and_the_rest_replayed(fake_clock: FakeClock, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(tmp_path / "spool")
    broken = spool.save([Record(TOPICS.readings_topic, b"a", reading("a").encode())])
    assert broken is not None
    broken.write_text("not json\n")
    spool.save([Record(TOPICS.readings_topic, b"b", reading("b").encode())])
    poller, client = make(fake_clock, FakeSource(fake_clock, [body()]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    assert [key for key, _ in topic_values(client, TOPICS.readings_topic)] == [b"b"]
    assert spool.files() == [] and broken.with_suffix(".unreadable").exists() and "cannot be read" in caplog.text


def test_a_response_of_millions_of_items_makes_a_bounded_number_of_records(fake_clock: FakeClock, tmp_path: Path) -> None:
    """Case 6: 2 million ``{}`` published 814,000 rejection records (and took 594 MB)."""
    from ingest.response import MAX_ELEMENTS

    poller, client = make(fake_clock, FakeSource(fake_clock, [b"[" + b",".join([b"{}"] * 2_000_000) + b"]"]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    reasons = Counter(record["reason"] for _, record in rejected_records(client))
    assert reasons == {"missing_field": MAX_ELEMENTS, "response_too_large": 1}


def test_a_stop_in_the_middle_of_a_response_spools_the_rest_and_loses_nothing(tmp_path: Path) -> None:
    """SIGTERM during a long publish: honoured at the next batch; what was not sent is in the spool, sent at the next start."""
    clock = FakeClock()
    elements = [reading(f"r{number:04d}") for number in range(2500)]
    client = client_stopping_after(clock, sends=1000)  # the first batch
    poller, _ = make(clock, FakeSource(clock, [body(*elements)]), tmp_path, client)
    assert poller.run() == EXIT_SPOOLED
    assert len(client.delivered) == 1000
    [path] = Spool(tmp_path / "spool").files()
    assert [record.key for record in Spool.load(path)] == [f"r{number:04d}".encode() for number in range(1000, 2500)]

    clock = FakeClock()
    poller, client = make(clock, FakeSource(clock, [body()]), tmp_path)
    assert poller.run(max_polls=1) == EXIT_OK
    assert len(client.delivered) == 1500 and Spool(tmp_path / "spool").files() == []


def test_a_stop_during_a_slow_body_is_honoured_at_once(tmp_path: Path) -> None:
    """Case 3: SIGTERM was ignored while a server sent its body at 1 byte/s (SIGKILL was needed)."""
    import signal
    import threading
    import time

    from ingest.poller import stop_on_signals

    def trickle(request) -> None:
        request.send_response(200)
        request.send_header("Content-Length", "124")
        request.end_headers()
        for _ in range(124):
            try:
                request.wfile.write(b" ")
                request.wfile.flush()
            except OSError:
                return
            time.sleep(1.0)

    clock = Clock()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    stop_on_signals(clock)
    try:
        with serving(trickle) as url:
            poller, _ = make(clock, SensorApiClient(url, "key", timeout_seconds=60.0, clock=clock), tmp_path)
            threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
            started = time.monotonic()
            assert poller.run() == EXIT_OK
            assert time.monotonic() - started < 1.0 + 2.0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("0", (0.25, 0.5)), ("Tue, 19 Feb 2019 13:00:00 GMT", (0.25, 0.5)), ("999999", (8.0, 8.0)), ("²", (0.25, 0.5)),
     ("9" * 400, (0.25, 0.5)), ("Fri, 31 Dec 9999 23:59:59 GMT", (0.25, 0.5))],
)
def test_retry_after_is_clamped_and_never_crashes_nor_loops_tight(
    retry_after: str, expected: tuple[float, float], tmp_path: Path
) -> None:
    """Case 4: 999999 waited 11.6 days; a year-9999 date or 400 digits crashed (OverflowError), ² too (ValueError);
    0 or a past date looped tight: 4,887 requests in 3 s."""
    calls: list[float] = []

    def throttle(request) -> None:
        calls.append(0)
        request.send_response(429)
        request.send_header("Retry-After", retry_after)
        request.send_header("Content-Length", "0")
        request.end_headers()

    clock = FakeClock(stop_after=5)
    with serving(throttle) as url:
        poller, _ = make(clock, SensorApiClient(url, "key"), tmp_path, max_backoff_seconds=8.0)
        assert poller.run() == EXIT_OK
    first_wait = clock.waits[1]  # waits[0] is the first poll's slot
    assert expected[0] <= first_wait <= expected[1]
    assert all(wait >= 0.25 for wait in clock.waits[1:]) and len(calls) == 4


def test_log_lines_escape_what_the_server_wrote(fake_clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Case 13: NUL, CR, LF and terminal escapes from a server went into the poller's log lines as they were."""

    def forged_status(request) -> None:
        request.wfile.write(b"HTTP/1.1 2\x00\x1b[31m OK\r\n2019-02-19 14:05:00 ERROR iot-ingest: forged\r\n\r\n")

    clock = FakeClock(stop_after=2)
    with serving(forged_status) as url:
        poller, _ = make(clock, SensorApiClient(url, "key"), tmp_path)
        assert poller.run() == EXIT_OK
    [failure] = [record.getMessage() for record in caplog.records if "poll failed" in record.getMessage()]
    assert "\\x00\\x1b[31m OK\\r\\n" in failure
    assert all(character.isprintable() for record in caplog.records for character in record.getMessage())


def test_kafka_down_at_start_is_waited_for_and_a_stop_ends_the_wait(caplog: pytest.LogCaptureFixture) -> None:
    """Kafka unreachable when iot-ingest starts ended it with a traceback (kafka-python's KafkaTimeoutError)."""
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError

    from ingest.poller import connected_kafka_client

    clock = FakeClock()
    answers: list[object] = [KafkaConnectionError(), KafkaTimeoutError("Unable to bootstrap"), "client"]

    def connect() -> Any:  # a string stands for the client
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert connected_kafka_client(KafkaSettings(bootstrap_servers="127.0.0.1:9"), clock, connect) == "client"
    assert caplog.text.count("does not answer") == 2 and "Traceback" not in caplog.text

    clock.request_stop()
    assert connected_kafka_client(KafkaSettings(), clock, lambda: pytest.fail("no attempt after a stop")) is None
