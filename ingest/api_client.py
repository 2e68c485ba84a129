"""One call to the sensor REST API, with the outcome sorted into what the poller must do next.

The API key travels only in the ``X-API-Key`` header: it is kept out of every message, log
line and ``repr``; redirects are not followed and no proxy is used, so it is never sent to
another address. Only ``http`` and ``https`` URLs are accepted.

``timeout_seconds`` bounds the whole call (name lookup, connection, headers, body), whatever
the server's pace: the exchange runs on a worker thread, and the caller abandons it at the
deadline, or as soon as a stop is requested, shutting its socket down so the thread ends too.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from ingest.clock import Clock

CHUNK_BYTES = 64 * 1024
# A longer wait is not a Retry-After a server can mean (a year-9999 date, a 400-digit number):
# it is treated as absent, like one that cannot be read.
MAX_RETRY_AFTER_SECONDS = 365 * 24 * 3600
_WAIT_SLICE_SECONDS = 0.05  # how often a waiting call looks for a stop request
_OUTSIDE_TEXT_CHARS = 300  # of an error text the server may have written, in our messages
_DIGITS = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class ApiResponse:
    """A 2xx answer: its body, possibly cut short by the network or by our size limit."""

    body: bytes
    elapsed_seconds: float
    expected_bytes: int | None = None  # Content-Length, when the server sent a decimal one
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


class FetchStopped(Exception):
    """A stop was requested while the call was under way; the call is abandoned."""


@dataclass(frozen=True)
class ApiUrl:
    """The parts of the sensor API's URL a request needs."""

    https: bool
    host: str
    port: int | None
    target: str  # path and query


def parse_api_url(url: str) -> ApiUrl:
    """``url`` if it is an ``http`` or ``https`` URL with a host; ``ValueError`` saying why not otherwise."""
    if not url.isprintable() or " " in url:
        raise ValueError(f"{url!r} is not a URL: it holds spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http or https URL")
    if "@" in parts.netloc:  # said without the URL: what precedes the @ may be a password
        raise ValueError("the URL holds credentials; the sensor API's key is given by IOT_SENSOR_API_KEY")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return ApiUrl(parts.scheme.lower() == "https", parts.hostname, port, target)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (a number of seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        seconds = float(int(value))
    else:
        try:
            moment = parsedate_to_datetime(value)
            if moment.tzinfo is None:  # "-0000": UTC, source unknown
                moment = moment.replace(tzinfo=UTC)
            seconds = max(0.0, (moment - now).total_seconds())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds > MAX_RETRY_AFTER_SECONDS:
        return None
    return seconds


def content_length(value: str | None) -> int | None:
    """The announced body size, when the header is a plain decimal number (``²`` is not)."""
    if value is None or not _DIGITS.fullmatch(value.strip()):
        return None
    return int(value)


def _outside(error: BaseException) -> str:
    """An error's text, which may quote the server, cut short (log lines escape what it holds)."""
    return str(error)[:_OUTSIDE_TEXT_CHARS]


def _http_failure(status: int, retry_after: str | None, now: datetime) -> Exception:
    if status in (401, 403):
        return ApiRefused(
            f"the sensor API refused the API key (HTTP {status}): "
            "check IOT_SENSOR_API_KEY or the file named by IOT_SENSOR_API_KEY_FILE"
        )
    if status == 429:
        return ApiCallFailed("throttled by the sensor API (HTTP 429)", "http_429", retry_after_seconds(retry_after, now))
    if status >= 500 or status == 408:
        return ApiCallFailed(f"the sensor API failed (HTTP {status})", f"http_{status}")
    if 300 <= status < 400:
        return ApiRefused(
            f"the sensor API answered a redirect (HTTP {status}); it is not followed, so the "
            "API key is never sent elsewhere: configure the final URL"
        )
    return ApiRefused(f"the sensor API rejected the request (HTTP {status}): check the URL")


class _Abandoned(Exception):
    """The caller gave up on this exchange before its connection was made."""


class _Exchange:
    """One GET on a worker thread; the caller waits for ``done`` and may ``abandon`` it."""

    def __init__(self, client: SensorApiClient, url: ApiUrl, headers: dict[str, str]) -> None:
        self._client = client
        self._url = url
        self._headers = headers
        self._lock = threading.Lock()
        self._abandoned = False
        self._descriptor: int | None = None  # the connection's socket while it is open
        self.done = threading.Event()
        self.outcome: ApiResponse | BaseException | None = None

    def run(self) -> None:
        try:
            self.outcome = self._call()
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread, which raises it
            self.outcome = error
        finally:
            self.done.set()

    def abandon(self) -> None:
        """Shut the socket down: a read blocked on a slow server returns at once and the thread ends."""
        with self._lock:  # held so the worker cannot close the descriptor (which may then be reused) meanwhile
            self._abandoned = True
            if self._descriptor is not None:
                handle = socket.socket(fileno=self._descriptor)
                try:
                    handle.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                finally:
                    handle.detach()

    def _open_socket(self, address: tuple[str, int], timeout: float, *args: Any) -> socket.socket:
        opened = socket.create_connection(address, timeout, *args)
        with self._lock:
            if self._abandoned:
                opened.close()
                raise _Abandoned
            self._descriptor = opened.fileno()  # kept by the TLS socket that may wrap this one
        return opened

    def _call(self) -> ApiResponse:
        client, url = self._client, self._url
        kind = http.client.HTTPSConnection if url.https else http.client.HTTPConnection
        connection = kind(url.host, url.port, timeout=client.timeout_seconds)
        connection._create_connection = self._open_socket  # type: ignore[attr-defined]  # the hook http.client offers
        started = client.clock.monotonic()
        try:
            try:
                connection.connect()
            except (OSError, ValueError) as error:  # ValueError: a host name IDNA cannot encode
                kind_label = "timeout" if isinstance(error, TimeoutError) else "connection"
                raise ApiCallFailed(f"cannot reach the sensor API: {_outside(error)}", kind_label) from None
            connection.request("GET", url.target, headers=self._headers)
            response = connection.getresponse()
            if not 200 <= response.status < 300:
                raise _http_failure(response.status, response.getheader("Retry-After"), client.clock.now())
            return self._read(response, started)
        except TimeoutError:
            raise ApiCallFailed(f"no answer within {client.timeout_seconds:g} s", "timeout") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise ApiCallFailed(f"the connection failed: {type(error).__name__}: {_outside(error)}", "connection") from None
        finally:
            with self._lock:
                self._descriptor = None
            connection.close()

    def _read(self, response: http.client.HTTPResponse, started: float) -> ApiResponse:
        client = self._client
        expected = content_length(response.getheader("Content-Length"))
        # BytesIO grows in place and hands its buffer over without a copy: the body is held once.
        buffer = io.BytesIO()
        truncated = oversized = False
        while not self._abandoned:
            try:
                chunk = response.read(CHUNK_BYTES)
            except http.client.IncompleteRead as error:
                buffer.write(error.partial)
                truncated = True
                break
            if not chunk:
                break
            if buffer.write(chunk) and buffer.tell() > client.max_body_bytes:
                oversized = True
                break
        body = buffer.getvalue()
        truncated = truncated or (expected is not None and len(body) < expected and not oversized)
        return ApiResponse(body, client.clock.monotonic() - started, expected, truncated, oversized)


@dataclass
class SensorApiClient:
    url: str
    api_key: str = field(repr=False)
    timeout_seconds: float = 10.0
    max_body_bytes: int = 64 * 1024 * 1024
    clock: Clock = field(default_factory=Clock)  # a real clock: its stop request cuts a call short

    def __post_init__(self) -> None:
        self._parsed_url = parse_api_url(self.url)

    def fetch(self) -> ApiResponse:
        """GET the readings. Raises ``ApiCallFailed`` (retry), ``ApiRefused`` (stop) or ``FetchStopped``."""
        if not (self.api_key.isascii() and self.api_key.isprintable()):
            # http.client would raise a ValueError quoting the header, key included.
            raise ApiRefused(
                "the API key holds a character an HTTP header cannot carry (a control character such as "
                "a trailing newline, or a non-ASCII one): check IOT_SENSOR_API_KEY or the file named by "
                "IOT_SENSOR_API_KEY_FILE"
            )
        headers = {"X-API-Key": self.api_key, "Accept": "application/json", "User-Agent": "iot-ingest"}
        exchange = _Exchange(self, self._parsed_url, headers)
        deadline = self.clock.monotonic() + self.timeout_seconds
        threading.Thread(target=exchange.run, name="sensor-api-call", daemon=True).start()
        while not exchange.done.wait(_WAIT_SLICE_SECONDS):
            if self.clock.stopping:
                exchange.abandon()
                raise FetchStopped("stopping: the call to the sensor API is abandoned")
            if self.clock.monotonic() >= deadline:
                exchange.abandon()
                raise ApiCallFailed(f"no complete answer within {self.timeout_seconds:g} s", "timeout")
        if isinstance(exchange.outcome, BaseException):
            raise exchange.outcome
        assert exchange.outcome is not None
        return exchange.outcome
