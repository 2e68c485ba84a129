"""The app over HTTP (Starlette's TestClient), with a fake feed and a fake history."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from dashboard.app import create_app
from settings import DashboardSettings, Settings
from tests.dashboard.fakes import HOUR, FakeFeed, FakeHistory, hourly_rows, record, record_key

pytestmark = pytest.mark.timeout(60)


def client_of(feed: FakeFeed, history: FakeHistory | None = None, **bounds: object) -> TestClient:
    dashboard = DashboardSettings(**{"keepalive_seconds": 0.2, **bounds})  # type: ignore[arg-type]
    return TestClient(create_app(Settings(dashboard=dashboard), feed, history or FakeHistory()))


@pytest.fixture
def feed() -> FakeFeed:
    return FakeFeed(record(HOUR, "Bretagne", 9.5), record(HOUR, "Corse", 14.25))


@pytest.fixture
def client(feed: FakeFeed) -> Iterator[TestClient]:
    history = FakeHistory(hourly_rows("Bretagne", HOUR, 30))
    with client_of(feed, history) as client:
        feed.started.wait(5)
        yield client


def events(lines: Iterator[str]) -> Iterator[tuple[str | None, Any]]:
    """(name, data) of each event of a stream, ("keepalive", None) for each comment."""
    name = None
    for line in lines:
        if line.startswith(": keepalive"):
            yield "keepalive", None
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def next_event(stream: Iterator[tuple[str | None, Any]], wanted: str) -> Any:
    for name, data in stream:
        if name == wanted:
            return data
    raise AssertionError(f"the stream ended before a {wanted} event")


def test_the_page_and_its_files_come_from_the_app_alone(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert re.findall(r'(?:src|href)="([^"]+)"', page.text) == ["data:,", "/static/style.css", "/static/app.js"]
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert set(re.findall(r"https?://[^\"' ]+", script.text + page.text)) == {"http://www.w3.org/2000/svg"}
    assert client.get("/static/style.css").status_code == 200


def test_every_response_forbids_other_origins_and_framing(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/regions.geojson", "/nowhere"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/events", "/api/regions/Bretagne/history", "/static/app.js", "/nowhere"])
def test_the_app_is_read_only(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"


def test_the_regions_are_light_geojson_with_the_insets_frames(client: TestClient) -> None:
    response = client.get("/regions.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    assert len(response.content) < 150_000
    collection = response.json()
    assert len(collection["features"]) == 18
    assert {feature["properties"]["frame"] for feature in collection["features"]} == set(collection["frames"])


def test_a_page_starts_from_the_rows_held_then_gets_each_change(client: TestClient, feed: FakeFeed) -> None:
    with client.stream("GET", "/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response.iter_lines())
        snapshot = next_event(stream, "snapshot")
        assert snapshot["hours_kept"] == 24
        assert {(row["region"], row["mean_temperature"]) for row in snapshot["rows"]} == {("Bretagne", 9.5), ("Corse", 14.25)}
        assert snapshot["rows"][0]["hour"] == "2026-12-05T13:00:00Z"

        feed.inject(record(HOUR, "Bretagne", 10.75))
        row = next_event(stream, "row")
        assert (row["region"], row["mean_temperature"], row["readings"]) == ("Bretagne", 10.75, 10)

        feed.inject((record_key(HOUR, "Corse"), None))
        assert next_event(stream, "removal") == {"hour": "2026-12-05T13:00:00Z", "region": "Corse"}


def test_head_of_the_stream_answers_at_once_and_holds_no_place(client: TestClient) -> None:
    answer = client.head("/events")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    assert client.get("/status").json()["live_pages"] == 0


def test_a_bad_record_is_counted_and_skipped_and_the_feed_goes_on(client: TestClient, feed: FakeFeed) -> None:
    with client.stream("GET", "/events") as response:
        stream = events(response.iter_lines())
        next_event(stream, "snapshot")
        feed.inject((b"not a key", b"{}"), (record_key(HOUR, "Normandie"), b"not json"), record(HOUR, "Normandie", 7.0))
        assert next_event(stream, "row")["region"] == "Normandie"
    assert client.get("/status").json()["bad_records_skipped"] == 2


def test_an_idle_stream_gets_keepalive_comments(client: TestClient) -> None:
    with client.stream("GET", "/events") as response:
        stream = events(response.iter_lines())
        next_event(stream, "snapshot")
        assert next(stream) == ("keepalive", None)


def test_beyond_the_maximum_of_pages_the_next_is_refused_with_503() -> None:
    with client_of(FakeFeed(), max_clients=1) as client:
        with client.stream("GET", "/events") as first:
            stream = events(first.iter_lines())  # held: a dropped iterator closes the response
            next_event(stream, "snapshot")
            refused = client.get("/events")
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            assert client.get("/status").json()["live_pages"] == 1


def test_a_page_that_does_not_read_is_dropped_and_its_stream_ends() -> None:
    feed = FakeFeed()
    with client_of(feed, client_queue_events=3, keepalive_seconds=60) as client:
        with client.stream("GET", "/events") as stalled:
            deadline = time.monotonic() + 10
            while client.get("/status").json()["live_pages"] != 1:
                assert time.monotonic() < deadline
            for tenth in range(20):  # each a change: the page's queue fills and it is let go
                feed.inject(record(HOUR, "Bretagne", tenth / 10))
            assert client.get("/status").json()["slow_pages_dropped"] == 1
            names = [name for name, _ in events(stalled.iter_lines())]  # the stream ends: no hang
            assert names[0] == "snapshot" and len(names) < 20
        assert client.get("/status").json()["live_pages"] == 0
        with client.stream("GET", "/events") as again:  # the browser comes back to a fresh snapshot
            snapshot = next_event(events(again.iter_lines()), "snapshot")
            assert [row["mean_temperature"] for row in snapshot["rows"]] == [1.9]


def test_a_region_history_is_its_last_24_hours_from_the_history(client: TestClient) -> None:
    response = client.get("/api/regions/bretagne/history")  # the name as typed, as iot-query takes it
    assert response.status_code == 200
    answer = response.json()
    assert answer["region"] == "Bretagne" and len(answer["rows"]) == 24
    assert answer["rows"][0]["hour"] == "2026-12-05T13:00:00Z"
    assert answer["rows"][-1]["hour"] == (HOUR - timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_unknown_region_is_404_and_history_down_is_503() -> None:
    with client_of(FakeFeed(), FakeHistory(down=True)) as client:
        assert client.get("/api/regions/Atlantis/history").status_code == 404
        down = client.get("/api/regions/Corse/history")
        assert down.status_code == 503 and "cannot be read now" in down.json()["error"]


def test_stopping_the_app_stops_the_feed(feed: FakeFeed) -> None:
    with client_of(feed):
        assert not feed.stopped
    assert feed.stopped
