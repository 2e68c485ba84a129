"""The local monitoring on the real pipeline: every target up, every dashboard query answered,
every metric the alerts and the dashboard name exported, and the freshness alert firing when the
job stops (the fault test).

The pipeline runs under the default names, as ``make demo`` runs it: the Kafka probe that
``scripts/stack.sh up`` starts watches the default readings topic and consumer group. The mock
sensor API feeds ``iot-ingest`` (metrics on 127.0.0.1:9464) with every kind of fault.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from geo import RegionIndex
from ingest.mock_api import MockApiConfig, MockSensorApi
from ingest.sensor_simulator import FaultMix
from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.monitoring.prometheus_queries import alert_expressions, api, dashboard_queries, metric_names, query

pytestmark = [pytest.mark.services, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
KEY = "monitoring-key-5d2a"
FIGURES = ROOT / "var" / "monitoring" / "last-test-figures.json"
MEASURED_S = 90  # of the running pipeline, for the freshness figures, before the job is stopped
FAULTS = FaultMix(out_of_order=0.05, late=0.03, duplicates=0.05, corrections=0.05, malformed=0.05, outside_france=0.03)
# Counters of rare events that the job's Python steps and the poller show from their first
# occurrence (the mock API here never fails a call), and the metrics of Kubernetes
# (kube-state-metrics, the kubelet) that only production has. The counters' names are checked
# against the code instead (test_metric_names.py), the Kubernetes ones against what deploy/k8s
# deploys and scrapes (tests/deploy/test_k8s_manifests.py), both without services.
ABSENT_LOCALLY = {
    "flink_taskmanager_job_task_operator_iot_rows_deleted",
    "flink_taskmanager_job_task_operator_iot_cassandra_write_retries",
    "iot_ingest_poll_failures_total",
    "kube_cronjob_status_last_successful_time",
    "kube_job_status_failed",
    "kubelet_volume_stats_available_bytes",
    "kubelet_volume_stats_capacity_bytes",
}


def default_env() -> dict[str, str]:
    """The environment without any override of the topics, keyspace, job or group names."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith(("IOT_KAFKA_", "IOT_CASSANDRA_KEYSPACE", "IOT_JOB_"))}


def start_poller(api_url: str, env: dict[str, str], spool: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "ingest.poller", "--url", api_url, "--interval", "1", "--timeout", "2",
               "--spool-dir", str(spool), "--metrics-address", "127.0.0.1:9464"]
    return subprocess.Popen(command, env={**env, "IOT_SENSOR_API_KEY": KEY}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def send_readings(env: dict[str, str], seconds: int, rate: int) -> subprocess.Popen:
    """Readings of the last minutes straight to the readings topic, in the background, with broken
    messages the job itself must reject (the poller rejects those of the mock before Kafka)."""
    command = [sys.executable, "-m", "ingest.loadgen", "--count", str(seconds * rate), "--rate", str(rate), "--span", "5m",
               "--start", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 300)), "--no-progress",
               "--malformed", "0.05", "--outside-france", "0.03", "--late", "0.02", "--corrections", "0.03"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class MonitoredPipeline:
    run: PipelineRun
    caught_up_at: float  # when the probe first saw the job caught up (the backlog of earlier runs read)


def freshness_now() -> float:
    answer = query("max(iot_pipeline_freshness_seconds)")
    return float(answer[0]["value"][1]) if answer else math.inf


@pytest.fixture(scope="module")
def pipeline(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitoredPipeline]:
    env = default_env()
    run = PipelineRun(Settings.from_env(env), env, {"execution.checkpointing.interval": "5s"})
    run.submit(parallelism=1)
    config = MockApiConfig(api_key=KEY, readings_per_call=200, faults=FAULTS, seed=16)
    with MockSensorApi(config, RegionIndex.default()) as sensor_api:
        poller = start_poller(sensor_api.url, env, tmp_path_factory.mktemp("spool"))
        sender = send_readings(env, seconds=900, rate=20)
        try:
            wait_for("the job to catch up", freshness_now, lambda seconds: seconds < 15, timeout_s=120)
            yield MonitoredPipeline(run, time.time())
        finally:
            for process in (poller, sender):
                process.terminate()
                process.wait(timeout=60)
            run.cancel()


def empty_queries() -> list[str]:
    return [f"{title}: {expr}" for title, expr in dashboard_queries() if not query(expr)]


def test_prometheus_scrapes_every_part_of_the_pipeline(pipeline: MonitoredPipeline) -> None:
    def down() -> list[str]:
        return [f"{t['labels']['job']} ({t['lastError']})" for t in api("targets")["activeTargets"] if t["health"] != "up"]

    jobs = {t["labels"]["job"] for t in api("targets")["activeTargets"]}
    assert jobs == {"prometheus", "iot-ingest", "iot-kafka-probe", "flink", "kafka", "cassandra", "node"}
    assert wait_for("every target up", down, lambda targets: targets == [], timeout_s=60) == []


def test_every_dashboard_query_returns_data(pipeline: MonitoredPipeline) -> None:
    # The rates need two scrapes of a counter that has moved: give the pipeline a minute or two.
    assert wait_for("every panel's query to answer", empty_queries, lambda empty: empty == [], timeout_s=180, every_s=5) == []


def test_every_metric_the_alerts_and_the_dashboard_name_is_exported(pipeline: MonitoredPipeline) -> None:
    exported = set(api("label/__name__/values"))
    named = {name for _, expr in [*alert_expressions(), *dashboard_queries()] for name in metric_names(expr)}
    assert named - exported - ABSENT_LOCALLY == set()


def test_the_freshness_alert_fires_when_the_job_stops(
    pipeline: MonitoredPipeline, record_property: Callable[[str, object], None]
) -> None:
    """The fault: the job cancelled while readings keep coming. The local rules wait 10 s (``for:``).

    Neither alert may be pending or firing before: ``IotJobNotRunning`` is ``absent()`` of the
    job's series by its name as Flink's reporter writes it, so a wrong name would fire it always.
    """
    for alert in ("IotFreshnessOverSlo", "IotJobNotRunning"):
        wait_for(f"no {alert} while the job runs", partial(query, f'ALERTS{{alertname="{alert}"}}'),
                 lambda alerts: alerts == [], timeout_s=60)
    # What the probe measured on the running pipeline (about 3 minutes of the poller and the mock API).
    over_time = {"p50": "quantile_over_time(0.5, ", "p99": "quantile_over_time(0.99, ", "max": "max_over_time("}
    time.sleep(max(0.0, MEASURED_S - (time.time() - pipeline.caught_up_at)))  # enough samples for the figures
    window = f"{int(time.time() - pipeline.caught_up_at)}s"
    running = {f"freshness_{name}_s": float(query(f"{fn}max(iot_pipeline_freshness_seconds)[{window}:5s])")[0]["value"][1])
               for name, fn in over_time.items()}
    running["freshness_window_s"] = float(window[:-1])
    pipeline.run.cancel()  # the poller and the fixture's sender go on
    stopped = time.monotonic()
    freshness_alert = 'ALERTS{alertname="IotFreshnessOverSlo", alertstate="firing"}'
    firing = wait_for("IotFreshnessOverSlo to fire", lambda: query(freshness_alert), bool, timeout_s=150, every_s=2)
    seconds = time.monotonic() - stopped
    figures = {**running, "freshness_alert_fired_after_s": round(seconds, 1)}
    for name, value in figures.items():
        record_property(name, value)
    # The source of the figures in docs/operations.md and docs/reliability.md.
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    assert firing[0]["metric"]["severity"] == "page"
    # 30 s of SLO, then 10 s of for:, and up to two 5 s scrape and evaluation rounds.
    assert 30 <= seconds <= 90, f"fired {seconds:.0f} s after the job stopped"
    wait_for("IotJobNotRunning to fire", lambda: query('ALERTS{alertname="IotJobNotRunning", alertstate="firing"}'),
             bool, timeout_s=60)
