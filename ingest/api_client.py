"""One call to the sensor REST API, with the outcome sorted into what the poller must do next.

The API key travels only in the ``X-API-Key`` header: it is kept out of every message, log
line and ``repr``, and redirects are not followed so it is never sent to another address.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ApiResponse:
    """A 200 answer: its body, possibly cut short by the network or by our size limit."""

    body: bytes
    elapsed_seconds: float
    expected_bytes: int | None = None  # Content-Length, when the server sent one
    truncated: bool = False  # the connection ended before the announced body did
    oversized: bool = False  # bigger than max_body_bytes; the body holds only the first bytes


class ApiCallFailed(Exception):
    """A failure worth retrying (network, timeout, 5xx, 429): the source may answer next time."""

    def __init__(self, message: str, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # a short label for metrics: timeout, connection, http_503, ...
        self.retry_after = retry_after


class ApiRefused(Exception):
    """A failure retrying cannot fix (bad key, wrong URL): the operator must act."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # urllib then raises HTTPError with the 3xx status


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - now).total_seconds())


@dataclass
class SensorApiClient:
    url: str
    api_key: str = field(repr=False)
    timeout_seconds: float = 10.0
    max_body_bytes: int = 64 * 1024 * 1024
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect())

    def fetch(self) -> ApiResponse:
        """GET the readings. Raises ``ApiCallFailed`` (retry) or ``ApiRefused`` (stop)."""
        if not (self.api_key.isascii() and self.api_key.isprintable()):
            # http.client would raise a ValueError quoting the header, key included.
            raise ApiRefused(
                "the API key holds a character an HTTP header cannot carry (a control character such as "
                "a trailing newline, or a non-ASCII one): check IOT_SENSOR_API_KEY or the file named by "
                "IOT_SENSOR_API_KEY_FILE"
            )
        request = urllib.request.Request(
            self.url, headers={"X-API-Key": self.api_key, "Accept": "application/json", "User-Agent": "iot-ingest"}
        )
        started = self.monotonic()
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                return self._read(response, started)
        except urllib.error.HTTPError as error:
            error.close()
            raise self._http_failure(error.code, error.headers.get("Retry-After")) from None
        except TimeoutError:
            raise ApiCallFailed(f"no answer within {self.timeout_seconds:g} s", "timeout") from None
        except urllib.error.URLError as error:
            kind = "timeout" if isinstance(error.reason, TimeoutError) else "connection"
            raise ApiCallFailed(f"cannot reach the sensor API: {error.reason}", kind) from None
        except (http.client.HTTPException, OSError) as error:
            raise ApiCallFailed(f"the connection failed: {type(error).__name__}: {error}", "connection") from None

    def _read(self, response: http.client.HTTPResponse, started: float) -> ApiResponse:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        chunks: list[bytes] = []
        received = 0
        truncated = oversized = False
        while True:
            if self.monotonic() - started > self.timeout_seconds:
                raise ApiCallFailed(f"the body did not arrive within {self.timeout_seconds:g} s", "timeout")
            try:
                chunk = response.read(CHUNK_BYTES)
            except http.client.IncompleteRead as error:
                chunks.append(error.partial)
                truncated = True
                break
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > self.max_body_bytes:
                oversized = True
                break
        body = b"".join(chunks)
        truncated = truncated or (expected is not None and len(body) < expected and not oversized)
        return ApiResponse(body, self.monotonic() - started, expected, truncated, oversized)

    def _http_failure(self, status: int, retry_after: str | None) -> Exception:
        if status in (401, 403):
            return ApiRefused(
                f"the sensor API refused the API key (HTTP {status}): "
                "check IOT_SENSOR_API_KEY or the file named by IOT_SENSOR_API_KEY_FILE"
            )
        if status == 429:
            wait = retry_after_seconds(retry_after, datetime.now(timezone.utc))
            return ApiCallFailed("throttled by the sensor API (HTTP 429)", "http_429", wait)
        if status >= 500 or status == 408:
            return ApiCallFailed(f"the sensor API failed (HTTP {status})", f"http_{status}")
        if 300 <= status < 400:
            return ApiRefused(
                f"the sensor API answered a redirect (HTTP {status}); it is not followed, so the "
                "API key is never sent elsewhere: configure the final URL"
            )
        return ApiRefused(f"the sensor API rejected the request (HTTP {status}): check the URL")
