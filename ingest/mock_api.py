"""``iot-mock-api``: a stand-in for the sensor REST API, on loopback, with faults on demand.

``GET /sensor/temperatures`` with the right ``X-API-Key`` answers a JSON array of plausible
readings (``ingest.sensor_simulator``); without it, 401. Reading faults and whole-response
faults are mixed in by share (flags, or query parameters of one call), or scripted call by
call. Everything served is kept in ``served`` so a test knows exactly what it should find.
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ingest.command_line import API_KEY_SOURCES, add_share_options, configured_api_key, shares_from_args, start_command
from ingest.sensor_simulator import FaultMix, RegionSource, SensorSimulator, SimulatedBatch
from readings import Reason
from settings import Settings
from settings.command_line import OneLineParser, UsageError, host, real_number, reports_usage_errors, whole_number

log = logging.getLogger("iot-mock-api")
PATH = "/sensor/temperatures"


class ResponseFault(StrEnum):
    NONE = "none"
    SERVER_ERROR = "server_error"  # 500, 502 or 503
    THROTTLED = "throttled"  # 429 with Retry-After
    SLOW = "slow"  # a correct answer after slow_seconds
    TIMEOUT = "timeout"  # nothing for hang_seconds, longer than any sane client timeout
    TRUNCATED = "truncated"  # the connection closes halfway through the announced body
    NOT_JSON = "not_json"  # an HTML error page with status 200
    NOT_AN_ARRAY = "not_an_array"
    INVALID_ENCODING = "invalid_encoding"  # the array, with one Latin-1 byte
    EMPTY = "empty"


# What the poller must answer to each broken response (None: it gets readings or retries).
RESPONSE_REASONS: dict[ResponseFault, Reason] = {
    ResponseFault.TRUNCATED: Reason.TRUNCATED_RESPONSE,
    ResponseFault.NOT_JSON: Reason.MALFORMED_JSON,
    ResponseFault.NOT_AN_ARRAY: Reason.NOT_AN_ARRAY,
    ResponseFault.INVALID_ENCODING: Reason.INVALID_ENCODING,
    ResponseFault.EMPTY: Reason.EMPTY_MESSAGE,
}


@dataclass(frozen=True)
class ResponseFaultMix:
    """The share of calls answered with each fault; the rest are answered normally."""

    server_error: float = 0.0
    throttled: float = 0.0
    slow: float = 0.0
    timeout: float = 0.0
    truncated: float = 0.0
    not_json: float = 0.0
    not_an_array: float = 0.0
    invalid_encoding: float = 0.0
    empty: float = 0.0

    def __post_init__(self) -> None:
        if sum(getattr(self, item.name) for item in fields(self)) > 1.0 + 1e-9:
            raise ValueError(f"response fault shares add up to more than 1: {self}")


@dataclass(frozen=True)
class MockApiConfig:
    api_key: str = field(repr=False)
    readings_per_call: int = 1000
    faults: FaultMix = FaultMix()
    response_faults: ResponseFaultMix = ResponseFaultMix()
    seed: int = 0
    timezone: str = "UTC"
    timestamp_spread_seconds: float = 10.0  # readings were taken up to this long before the call
    slow_seconds: float = 2.0
    hang_seconds: float = 30.0
    retry_after_seconds: int = 1


@dataclass
class ServedResponse:
    """One answered call, as the client should have seen it."""

    call: int
    status: int
    fault: ResponseFault
    body: bytes
    records: SimulatedBatch | None  # the readings in the body (None for error answers)

    @property
    def expected_reason(self) -> Reason | None:
        """Why the whole response must be rejected, if it must."""
        return RESPONSE_REASONS.get(self.fault)


class MockSensorApi:
    def __init__(
        self,
        config: MockApiConfig,
        regions: RegionSource,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        served_log_size: int = 1000,
    ) -> None:
        self.config = config
        self._simulator = SensorSimulator(regions, config.seed, config.faults, config.timezone)
        self._rng = np.random.default_rng([config.seed, 1])
        self._clock = clock
        self._lock = threading.Lock()
        self._script: deque[ResponseFault] = deque()
        self._outage_until = 0.0
        self._outage_faults: Iterator[ResponseFault] = iter(())
        self._calls = 0
        self._closing = threading.Event()
        self._serving = threading.Event()
        self.served: deque[ServedResponse] = deque(maxlen=served_log_size)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> MockSensorApi:
        """Serve from a background thread (tests); ``serve_forever`` serves from this one (the command)."""
        self._serving.set()
        threading.Thread(target=self._server.serve_forever, name="mock-sensor-api", daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self._serving.set()
        self._server.serve_forever()

    def stop(self) -> None:
        self._closing.set()  # ends the sleeps of slow and hanging answers
        if self._serving.is_set():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> MockSensorApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def script(self, faults: Iterable[ResponseFault | str]) -> None:
        """Answer the next calls with these faults, in order, before going back to the shares."""
        with self._lock:
            self._script.extend(ResponseFault(fault) for fault in faults)

    def outage(self, seconds: float, faults: Sequence[ResponseFault | str] = ("server_error", "timeout")) -> None:
        """Fail every call for ``seconds`` from now, cycling through ``faults`` (a down upstream)."""
        with self._lock:
            self._outage_until = self._clock() + seconds
            self._outage_faults = itertools.cycle([ResponseFault(fault) for fault in faults])

    # ------------------------------------------------------------------ answering

    def answer(self, query: dict[str, str]) -> ServedResponse:
        """Decide and build the answer to one authorised call (under the lock: calls are numbered)."""
        with self._lock:
            self._calls += 1
            config = self._config_for(query)
            fault = self._next_fault(config, query.get("fault"))
            records = None
            if fault in (ResponseFault.SERVER_ERROR, ResponseFault.THROTTLED):
                status = 429 if fault is ResponseFault.THROTTLED else int(self._rng.choice([500, 502, 503]))
                body = json.dumps({"error": "throttled" if status == 429 else "upstream failure"}).encode()
            else:
                status = 200
                records, body = self._readings(config, fault)
            served = ServedResponse(self._calls, status, fault, body, records)
            self.served.append(served)
            return served

    def _config_for(self, query: dict[str, str]) -> MockApiConfig:
        """The configuration with this call's query parameters (``count`` and any fault share) applied."""
        config = self.config
        if "count" in query:
            config = replace(config, readings_per_call=int(query["count"]))
        reading_shares = {item.name: float(query[item.name]) for item in fields(FaultMix) if item.name in query}
        response_shares = {item.name: float(query[item.name]) for item in fields(ResponseFaultMix) if item.name in query}
        if reading_shares:
            config = replace(config, faults=replace(config.faults, **reading_shares))
        if response_shares:
            config = replace(config, response_faults=replace(config.response_faults, **response_shares))
        return config

    def _next_fault(self, config: MockApiConfig, forced: str | None) -> ResponseFault:
        if forced:
            return ResponseFault(forced)
        if self._script:
            return self._script.popleft()
        if self._clock() < self._outage_until:
            return next(self._outage_faults)
        shares = config.response_faults
        names = [item.name for item in fields(shares)]
        weights = [getattr(shares, name) for name in names]
        draw = float(self._rng.random())
        for name, weight in zip(names, weights, strict=True):
            if draw < weight:
                return ResponseFault(name)
            draw -= weight
        return ResponseFault.NONE

    def _readings(self, config: MockApiConfig, fault: ResponseFault) -> tuple[SimulatedBatch | None, bytes]:
        if fault is ResponseFault.EMPTY:
            return None, b""
        if fault is ResponseFault.NOT_JSON:
            return None, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if fault is ResponseFault.NOT_AN_ARRAY:
            return None, b'{"message": "readings moved to /v2", "readings": []}'
        now_ms = int(self._clock() * 1000)
        self._simulator.faults = config.faults
        spread_ms = max(1, int(config.timestamp_spread_seconds * 1000))
        times = np.sort(now_ms - self._rng.integers(0, spread_ms, config.readings_per_call))
        records = self._simulator.batch(times, now_ms)
        body = b"[" + b",\n".join(records.texts) + b"]"
        if fault is ResponseFault.INVALID_ENCODING:
            body = body.replace(b'"France"', b'"Fran\xe7ais"', 1)
        return records, body

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != PATH:
                    self._send(404, b'{"error": "not found"}')
                    return
                if not hmac.compare_digest(self.headers.get("X-API-Key", "").encode(), api.config.api_key.encode()):
                    self._send(401, b'{"error": "missing or invalid API key"}')
                    return
                query = {name: values[-1] for name, values in parse_qs(url.query).items()}
                try:
                    served = api.answer(query)
                except ValueError as error:
                    self._send(400, json.dumps({"error": str(error)}).encode())
                    return
                api.deliver(self, served)

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - request lines only, never headers
                log.debug("%s %s", self.address_string(), format % args)

        return Handler

    def deliver(self, handler: BaseHTTPRequestHandler, served: ServedResponse) -> None:
        """Send ``served`` the way its fault says."""
        fault, body = served.fault, served.body
        try:
            if fault in (ResponseFault.SLOW, ResponseFault.TIMEOUT):
                if self._closing.wait(self.config.slow_seconds if fault is ResponseFault.SLOW else self.config.hang_seconds):
                    return
            if fault is ResponseFault.TRUNCATED:
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body[: len(body) // 2])
                handler.close_connection = True
            else:
                headers = {"Retry-After": str(self.config.retry_after_seconds)} if served.status == 429 else {}
                handler._send(served.status, body, headers)  # type: ignore[attr-defined]  # our Handler's, see _handler_class
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout fault does that on purpose)
        finally:
            self._log(served)

    @staticmethod
    def _log(served: ServedResponse) -> None:
        if served.records is None:
            log.info("call %d: HTTP %d, %s", served.call, served.status, served.fault)
            return
        kinds = Counter(served.records.kinds)
        detail = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()) if kind != "valid")
        log.info("call %d: HTTP %d, %s, %d readings (%s)", served.call, served.status, served.fault,
                 len(served.records), detail or "all valid")


def response_faults(text: str) -> list[ResponseFault]:
    """``--script``: comma-separated names of ResponseFault."""
    try:
        return [ResponseFault(name.strip()) for name in text.split(",") if name.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:200]!r}: expected names among {', '.join(fault.value for fault in ResponseFault)}") from None


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    parser = OneLineParser(prog="iot-mock-api", description=__doc__, epilog=API_KEY_SOURCES)
    parser.add_argument("--host", type=host, default=settings.sensor_api.mock_host, help="address to listen on")
    parser.add_argument("--port", type=whole_number(0, 65535), default=settings.sensor_api.mock_port, help="0: any free port")
    parser.add_argument("--readings", type=whole_number(0, 1_000_000), default=1000, help="readings per call")
    parser.add_argument("--seed", type=whole_number(0, 2**63 - 1), default=0)
    parser.add_argument("--slow-seconds", type=real_number(0.0, 3600.0), default=2.0)
    parser.add_argument("--hang-seconds", type=real_number(0.0, 3600.0), default=30.0)
    parser.add_argument("--retry-after", type=whole_number(0), default=1, help="seconds, sent with 429")
    parser.add_argument("--script", type=response_faults, default=[], help="comma-separated response faults for the first calls")
    add_share_options(parser, "reading faults (shares)", FaultMix)
    add_share_options(parser, "response faults (shares)", ResponseFaultMix)
    return parser.parse_args(argv)


@reports_usage_errors("iot-mock-api")
def main(argv: list[str] | None = None) -> int:
    settings, args = start_command(argv, parse_args)
    api_key = configured_api_key(settings, log)
    if api_key is None:
        return 2
    from geo import RegionIndex

    config = MockApiConfig(
        api_key=api_key,
        readings_per_call=args.readings,
        faults=shares_from_args(args, FaultMix),
        response_faults=shares_from_args(args, ResponseFaultMix),
        seed=args.seed,
        timezone=settings.rules.timezone,
        slow_seconds=args.slow_seconds,
        hang_seconds=args.hang_seconds,
        retry_after_seconds=args.retry_after,
    )
    try:
        api = MockSensorApi(config, RegionIndex.default(), args.host, args.port, served_log_size=10)
    except OSError as error:  # the port is taken, or the host is not an address of this machine
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    api.script(args.script)
    log.info("serving %s", api.url)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
