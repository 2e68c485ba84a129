"""The API client over real HTTP on loopback: what each answer means for the poller."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Iterator

import pytest

from ingest.api_client import ApiCallFailed, ApiRefused, SensorApiClient, retry_after_seconds
from ingest.mock_api import MockApiConfig, MockSensorApi
from tests.ingest.conftest import SquareRegions, serving

KEY = "k-123"


@pytest.fixture(scope="module")
def api() -> Iterator[MockSensorApi]:
    with MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=5, hang_seconds=2.0), SquareRegions()) as server:
        yield server


def test_a_normal_answer(api: MockSensorApi) -> None:
    response = SensorApiClient(api.url, KEY).fetch()
    assert response.body.startswith(b"[") and response.expected_bytes == len(response.body)
    assert not response.truncated and not response.oversized and response.elapsed_seconds >= 0


@pytest.mark.parametrize(
    ("fault", "kind", "retry_after"),
    [("server_error", None, None), ("throttled", "http_429", 1.0), ("timeout", "timeout", None)],
)
def test_transient_failures(api: MockSensorApi, fault: str, kind: str | None, retry_after: float | None) -> None:
    api.script([fault])
    with pytest.raises(ApiCallFailed) as failure:
        SensorApiClient(api.url, KEY, timeout_seconds=0.5).fetch()
    assert failure.value.kind == (kind or failure.value.kind) and failure.value.retry_after == retry_after
    assert failure.value.kind.startswith("http_5") or kind


def test_a_truncated_body_is_flagged(api: MockSensorApi) -> None:
    api.script(["truncated"])
    response = SensorApiClient(api.url, KEY).fetch()
    assert response.truncated and len(response.body) < (response.expected_bytes or 0)


def test_an_oversized_body_is_cut(api: MockSensorApi) -> None:
    response = SensorApiClient(api.url, KEY, max_body_bytes=100).fetch()
    assert response.oversized and len(response.body) > 100


def test_a_wrong_key_stops_with_a_clear_message_without_the_key(api: MockSensorApi) -> None:
    with pytest.raises(ApiRefused) as refusal:
        SensorApiClient(api.url, "not-" + KEY).fetch()
    assert "refused the API key (HTTP 401)" in str(refusal.value) and KEY not in str(refusal.value)


def test_a_wrong_url_stops(api: MockSensorApi) -> None:
    with pytest.raises(ApiRefused, match="HTTP 404"):
        SensorApiClient(api.url.replace("temperatures", "nothing"), KEY).fetch()


def test_redirects_are_not_followed() -> None:
    seen: list[str | None] = []

    def handle(request: BaseHTTPRequestHandler) -> None:
        seen.append(request.headers.get("X-API-Key"))
        request.send_response(302)
        request.send_header("Location", "http://127.0.0.1:9/elsewhere")
        request.end_headers()

    with serving(handle) as url, pytest.raises(ApiRefused, match="redirect"):
        SensorApiClient(url, KEY).fetch()
    assert seen == [KEY]


def test_a_body_slower_than_the_timeout_fails() -> None:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.end_headers()
        for _ in range(8):
            request.wfile.write(b" " * 70000)
            request.wfile.flush()
            threading.Event().wait(0.1)

    with serving(handle) as url, pytest.raises(ApiCallFailed, match="did not arrive within"):
        SensorApiClient(url, KEY, timeout_seconds=0.25).fetch()


def test_a_server_that_hangs_up_fails_over() -> None:
    with serving(lambda request: request.connection.close()) as url, pytest.raises(ApiCallFailed) as failure:
        SensorApiClient(url, KEY).fetch()
    assert failure.value.kind == "connection"


def test_connection_refused_is_transient() -> None:
    with pytest.raises(ApiCallFailed, match="cannot reach") as failure:
        SensorApiClient("http://127.0.0.1:9/x", KEY).fetch()
    assert failure.value.kind == "connection"


def test_a_408_is_retried() -> None:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(408)
        request.send_header("Content-Length", "0")
        request.end_headers()

    with serving(handle) as url, pytest.raises(ApiCallFailed) as failure:
        SensorApiClient(url, KEY).fetch()
    assert failure.value.kind == "http_408"


NOW = datetime(2019, 2, 19, 14, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None), ("", None), ("12", 12.0), (" 3 ", 3.0), ("soon", None),
        ("Tue, 19 Feb 2019 14:05:30 GMT", 30.0), ("Tue, 19 Feb 2019 14:00:00 GMT", 0.0),
        ("Tue, 19 Feb 2019 14:05:30 -0000", 30.0),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds
