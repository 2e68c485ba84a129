"""The mock sensor API: key check, schema, faults by share, by script and by query, and its command."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from ingest import mock_api
from ingest.mock_api import MockApiConfig, MockSensorApi, ResponseFault, ResponseFaultMix
from readings import Reason
from tests.ingest.conftest import SquareRegions

KEY = "mock-key"


def get(url: str, key: str | None = KEY) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def api() -> Iterator[MockSensorApi]:
    config = MockApiConfig(api_key=KEY, readings_per_call=20, slow_seconds=0.05, retry_after_seconds=4)
    with MockSensorApi(config, SquareRegions()) as server:
        yield server


def test_readings_with_the_right_key_only(api: MockSensorApi) -> None:
    status, body, headers = get(api.url)
    readings = json.loads(body)
    assert status == 200 and headers["Content-Type"] == "application/json" and len(readings) == 20
    assert set(readings[0]) == {"id", "timestamp", "lat", "lon", "temperature", "country"}
    assert get(api.url, key=None)[0] == 401 and get(api.url, key="nope")[0] == 401
    assert get(api.url.replace("/sensor/temperatures", "/other"))[0] == 404
    assert [served.call for served in api.served] == [1]


def test_scripted_faults_then_shares(api: MockSensorApi) -> None:
    api.script(["throttled", "server_error", "slow", "not_json", "not_an_array", "empty", "invalid_encoding"])
    throttled = get(api.url)
    assert throttled[0] == 429 and throttled[2]["Retry-After"] == "4"
    assert get(api.url)[0] in (500, 502, 503)
    assert get(api.url)[0] == 200
    assert get(api.url)[1].startswith(b"<html>")
    assert json.loads(get(api.url)[1])["readings"] == []
    assert get(api.url)[1] == b""
    assert b"\xe7" in get(api.url)[1]
    reasons = [served.expected_reason for served in api.served]
    assert reasons == [None, None, None, Reason.MALFORMED_JSON, Reason.NOT_AN_ARRAY, Reason.EMPTY_MESSAGE,
                       Reason.INVALID_ENCODING]
    third = api.served[2].records
    assert api.served[0].records is None and third is not None and len(third) == 20


def test_query_parameters_override_one_call(api: MockSensorApi) -> None:
    status, body, _ = get(api.url + "?count=50&malformed=1.0")
    assert status == 200 and len(json.loads(body)) == 50
    last = api.served[-1].records
    assert last is not None and all(kind != "valid" for kind in last.kinds)
    assert get(api.url + "?fault=server_error&server_error=0.5")[0] >= 500
    assert get(api.url + "?fault=bogus")[0] == 400
    assert get(api.url + "?late=2")[0] == 400
    assert len(json.loads(get(api.url)[1])) == 20  # back to the configured defaults


def test_an_outage_fails_every_call_until_it_ends() -> None:
    now = [1000.0]
    api = MockSensorApi(MockApiConfig(api_key=KEY, readings_per_call=1), SquareRegions(), clock=lambda: now[0])
    try:
        api.outage(60, faults=["server_error", "throttled"])
        during = [api.answer({}).fault for _ in range(3)]
        now[0] += 60
        after = api.answer({}).fault
    finally:
        api.stop()
    assert during == [ResponseFault.SERVER_ERROR, ResponseFault.THROTTLED, ResponseFault.SERVER_ERROR]
    assert after is ResponseFault.NONE


def test_response_fault_shares_are_drawn_deterministically() -> None:
    def faults(seed: int) -> list[ResponseFault]:
        config = MockApiConfig(api_key=KEY, readings_per_call=1, seed=seed,
                               response_faults=ResponseFaultMix(server_error=0.3, empty=0.3))
        server = MockSensorApi(config, SquareRegions())
        try:
            return [server.answer({}).fault for _ in range(30)]
        finally:
            server.stop()

    assert faults(1) == faults(1) != faults(2)
    assert {ResponseFault.SERVER_ERROR, ResponseFault.EMPTY, ResponseFault.NONE} == set(faults(1))
    with pytest.raises(ValueError, match="more than 1"):
        ResponseFaultMix(slow=0.6, timeout=0.6)


def test_a_hanging_answer_ends_when_the_server_stops() -> None:
    server = MockSensorApi(MockApiConfig(api_key=KEY, hang_seconds=60), SquareRegions()).start()
    server.script(["timeout"])

    def call() -> None:
        try:
            get(server.url)
        except (OSError, http.client.HTTPException):
            pass  # the server closed the connection: what this test waits for

    caller = threading.Thread(target=call)
    caller.start()
    while not server.served:
        threading.Event().wait(0.05)
    server.stop()
    caller.join(timeout=10)
    assert not caller.is_alive()


def test_the_command_needs_a_key(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("IOT_SENSOR_API_KEY", raising=False)
    monkeypatch.delenv("IOT_SENSOR_API_KEY_FILE", raising=False)
    assert mock_api.main([]) == 2
    assert "no API key" in caplog.text


def test_the_command_serves_until_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOT_SENSOR_API_KEY", KEY)
    started: list[MockSensorApi] = []

    def serve_then_interrupt(self: MockSensorApi) -> None:
        started.append(self)
        assert self.served.maxlen == 10 and self.config.faults.late == 0.25 and self.config.readings_per_call == 3
        assert [self.answer({}).fault for _ in range(2)] == [ResponseFault.EMPTY, ResponseFault.SLOW]
        raise KeyboardInterrupt

    monkeypatch.setattr(MockSensorApi, "serve_forever", serve_then_interrupt)
    assert mock_api.main(["--port", "0", "--readings", "3", "--late", "0.25", "--script", "empty, slow"]) == 0
    assert started
