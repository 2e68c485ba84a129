"""The API client over real HTTP on loopback: what each answer means for the poller."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from ingest.api_client import (
    ApiCallFailed,
    ApiRefused,
    FetchStopped,
    SensorApiClient,
    content_length,
    parse_api_url,
    retry_after_seconds,
)
from ingest.clock import Clock
from ingest.mock_api import MockApiConfig, MockSensorApi
from tests.ingest.conftest import SquareRegions
from tests.support.http_server import serving

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

    with serving(handle) as url, pytest.raises(ApiCallFailed, match="no complete answer within 0.25 s"):
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


NOW = datetime(2019, 2, 19, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None), ("", None), ("12", 12.0), (" 3 ", 3.0), ("soon", None),
        ("Tue, 19 Feb 2019 14:05:30 GMT", 30.0), ("Tue, 19 Feb 2019 14:00:00 GMT", 0.0),
        ("Tue, 19 Feb 2019 14:05:30 -0000", 30.0), ("0", 0.0), ("999999", 999999.0),
        # Issue 13, case 4: these crashed the poller (ValueError, OverflowError) or waited for ever.
        ("²", None), ("٣", None), ("9" * 400, None), ("9" * 5000, None), ("Fri, 31 Dec 9999 23:59:59 GMT", None),
        ("Sat, 01 Jan 10000 00:00:00 GMT", None), ("1e9", None), ("-5", None), ("Tue, 99 Feb 2019 14:05:30 GMT", None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def trickled(status_line_and_headers: bytes, body: bytes, pause: float):
    """A handler that writes the whole answer one byte per ``pause`` seconds, as a hostile or broken server may."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        for byte in status_line_and_headers + body:
            try:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
            except OSError:
                return
            time.sleep(pause)

    return handle


ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 124\r\n\r\n"


@pytest.mark.parametrize("where", ["headers", "body"])
def test_the_timeout_bounds_the_whole_call_however_slow_the_server(where: str) -> None:
    """Issue 13, case 3: at 1 byte/s, a 124-byte body held a ``--timeout 5`` poll 125 s, the headers 45 s."""
    head, body = (ANSWER, b"[" + b" " * 122 + b"]") if where == "headers" else (b"", b"[" + b" " * 122 + b"]")

    def handle(request: BaseHTTPRequestHandler) -> None:
        if where == "body":
            request.wfile.write(ANSWER)
            request.wfile.flush()
        trickled(head, body, 0.05)(request)

    with serving(handle) as url:
        started = time.monotonic()
        with pytest.raises(ApiCallFailed, match="no complete answer within 0.5 s") as failure:
            SensorApiClient(url, KEY, timeout_seconds=0.5).fetch()
        assert time.monotonic() - started < 0.5 + 1.0  # the old client took 6 s (124 bytes, 0.05 s each)
    assert failure.value.kind == "timeout"


def test_a_stop_abandons_a_call_under_way() -> None:
    clock = Clock()
    threading.Timer(0.3, clock.request_stop).start()
    with serving(trickled(ANSWER, b" " * 124, 1.0)) as url:
        started = time.monotonic()
        with pytest.raises(FetchStopped):
            SensorApiClient(url, KEY, timeout_seconds=60.0, clock=clock).fetch()
        assert time.monotonic() - started < 0.3 + 1.0


@pytest.mark.parametrize("length", ["²", "1_0", "-5", "0x10", " 12 a", "99999999999999999999999"])
def test_a_content_length_that_is_not_a_decimal_number_does_not_crash(length: str) -> None:
    """Issue 13, case 9: ``Content-Length: ²`` crashed the poller (ValueError, traceback)."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Length", length)
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(b"[1, 2]")
        request.close_connection = True

    with serving(handle) as url:
        response = SensorApiClient(url, KEY, timeout_seconds=2).fetch()
    assert response.expected_bytes is None and response.body == b"[1, 2]" and not response.truncated


def test_content_length() -> None:
    assert content_length("124") == 124 and content_length(" 7 ") == 7
    assert [content_length(value) for value in (None, "", "²", "-1", "1_0", "1e3", "٣")] == [None] * 7


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/readings", "not a url", "gopher://x", "http://", "https:///path",
     "http://127.0.0.1:99999/x", "http://127.0.0.1:port/x", "http://exa\nmple.com/", "//127.0.0.1/x", "/sensor/temperatures",
     "http://user:secret@127.0.0.1/x"],
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    """Issue 13, case 5: ``file:///etc/passwd`` was published; ``ftp://`` hung and ignored SIGTERM."""
    with pytest.raises(ValueError) as refusal:
        SensorApiClient(url, KEY)
    assert "secret" not in str(refusal.value)


def test_url_parts() -> None:
    parsed = parse_api_url("HTTPS://[::1]:8443/sensor/temperatures?region=bzh#top")
    assert (parsed.https, parsed.host, parsed.port, parsed.target) == (True, "::1", 8443, "/sensor/temperatures?region=bzh")
    assert parse_api_url("http://example.com").target == "/"
