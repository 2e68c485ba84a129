"""Faults on the ingestion side, met by the whole pipeline: the mock API, ``iot-ingest`` as a
process, Kafka, the job and Cassandra.

One run meets three faults in turn (a broker restart while the poller produces, the poller
killed with ``kill -9`` and started again, the API down for a minute) and ends with every
acknowledged reading in Kafka, the tables equal to the oracle of what Kafka holds, and
``iot-reconcile`` balanced.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from geo import RegionIndex
from ingest.mock_api import MockApiConfig, MockSensorApi, ServedResponse
from ingest.poller import EXIT_OK
from ingest.sensor_simulator import FaultMix
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN, Record, assert_exact
from tests.support.served import actual_topics, expected_topics
from tests.support.stack_script import stack_command

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
KEY = "fault-key-9c1e"
# Readings taken "now" with every fault of the mock except too-late ones: hours open while we watch.
MIXED = FaultMix(out_of_order=0.05, duplicates=0.05, corrections=0.05, malformed=0.05, outside_france=0.03)


def start_poller(api: MockSensorApi, run: PipelineRun, spool: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "ingest.poller", "--url", api.url, "--interval", "1", "--timeout", "2",
               "--max-backoff", "4", "--spool-dir", str(spool), "--metrics-address", ""]
    return subprocess.Popen(command, env={**run.env, "IOT_SENSOR_API_KEY": KEY}, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def await_answers(api: MockSensorApi, more: int, timeout_s: float = 120) -> None:
    """Wait until the API has answered ``more`` further calls with readings."""
    def answered() -> int:
        return sum(1 for served in list(api.served) if served.status == 200)

    target = answered() + more
    wait_for(f"{more} more answered polls", answered, lambda count: count >= target, timeout_s, every_s=0.5)


def lost_readings(served: list[ServedResponse], run: PipelineRun) -> Counter:
    expected, _ = expected_topics(served)
    readings, _ = actual_topics(run.settings.kafka)
    return expected - readings


def test_a_broker_restart_a_poller_kill_and_an_api_outage_lose_nothing(
    run: PipelineRun, tmp_path: Path, record_property: Record
) -> None:
    run.submit(parallelism=1, overrides=REMEMBER_IDS_ALL_RUN)
    config = MockApiConfig(api_key=KEY, readings_per_call=100, faults=MIXED, seed=23, hang_seconds=3)
    with MockSensorApi(config, RegionIndex.default()) as api:
        poller = start_poller(api, run, tmp_path / "spool")
        await_answers(api, 3)

        assert stack_command("restart", "kafka", check=False).returncode == 0
        await_answers(api, 3)

        poller.kill()  # SIGKILL: no flush, no spool
        output_of_killed, _ = poller.communicate(timeout=30)
        in_flight = api.served[-1].call  # the one answer a kill -9 may lose before Kafka acknowledged it
        poller = start_poller(api, run, tmp_path / "spool")
        await_answers(api, 3)

        api.outage(60)
        time.sleep(60)
        await_answers(api, 3)

        poller.send_signal(signal.SIGTERM)
        output, _ = poller.communicate(timeout=60)
        served = list(api.served)
    assert poller.returncode == EXIT_OK, output
    assert "poll failed" in output
    assert KEY not in output + output_of_killed

    lost = lost_readings(served, run)
    may_be_lost = expected_topics([answer for answer in served if answer.call == in_flight])[0]
    assert not lost - may_be_lost, f"{sum(lost.values())} acknowledged readings missing from Kafka"
    assert not any((tmp_path / "spool").glob("*")), "a clean stop leaves nothing spooled"

    expected = assert_exact(run, run.sent_messages(), timeout_s=240, record=record_property)
    assert expected.rows and sum(1 for answer in served if answer.status != 200) >= 5
