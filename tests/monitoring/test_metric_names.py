"""Every metric of ours that an alert or a dashboard panel names is one our code exports, by the
name Prometheus gives it.

The services test checks the names against the local Prometheus, but only those that exist there:
the job's counters of rare events (``rows_deleted``, ``cassandra_write_retries``) appear only
once one has happened, and their panels add ``or vector(0)``, so a misspelt one would pass it
and stay silent in production. Here the names come from the code itself, without services.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from ingest.metrics import Metrics
from ingest.poller import ingest_metrics
from monitoring.kafka_probe import probe_metrics
from settings import CassandraSettings, ReadingRules
from tests.monitoring.prometheus_queries import alert_expressions, dashboard_queries, metric_names
from tests.udfs.fake_metrics import FakeCounter
from udfs import cassandra_writer
from udfs.parse_and_locate import ParseAndLocate

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "jvm" / "job-functions" / "src" / "main" / "java" / "fr" / "iot" / "temperature" / "versions"
# Flink's Prometheus reporters name an operator's metric by its scope, then its groups, then itself.
OPERATOR_SCOPE = "flink_taskmanager_job_task_operator"
# The prefixes of the metrics our code exports (the rest is Flink's, Kafka's, Cassandra's, Kubernetes').
OURS = ("iot_", f"{OPERATOR_SCOPE}_iot_")


class PrometheusNamedGroup:
    """A PyFlink metric group that records each counter by the name Flink's Prometheus reporter
    gives it: a plain group's name and a key-value group's key join the name (the value is a label)."""

    def __init__(self, names: set[str], scope: str = OPERATOR_SCOPE) -> None:
        self.names, self.scope = names, scope

    def add_group(self, name: str, extra: str | None = None) -> PrometheusNamedGroup:
        return PrometheusNamedGroup(self.names, f"{self.scope}_{name}")

    def counter(self, name: str) -> FakeCounter:
        self.names.add(f"{self.scope}_{name}")
        return FakeCounter()


def exposed(metrics: Metrics) -> set[str]:
    """The series names ``metrics`` renders, a histogram's ``_bucket``, ``_sum`` and ``_count`` included."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", metrics.render(), re.MULTILINE):
        names |= {f"{name}{suffix}" for suffix in ("_bucket", "_sum", "_count")} if kind == "histogram" else {name}
    return names


def python_job_counters(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The counters the job's Python functions register when they open, and the rejection by reason
    that the first broken message registers."""
    names: set[str] = set()
    parse = ParseAndLocate(ReadingRules())
    parse.open(SimpleNamespace(get_metric_group=lambda: PrometheusNamedGroup(names)))
    parse.eval(pd.Series([b"{broken"]), pd.Series([pd.Timestamp.now(tz="UTC")]),
               pd.Series([None], dtype="float64"), pd.Series([None], dtype="float64"))
    monkeypatch.setattr("results.session.connect", lambda settings: SimpleNamespace())
    monkeypatch.setattr(cassandra_writer, "HourlyMeansTables", lambda session, keyspace: None)
    writer = cassandra_writer.CassandraResultWriter(CassandraSettings(), cassandra_writer.RetryPolicy(budget_s=1))
    writer.open(SimpleNamespace(get_metrics_group=lambda: PrometheusNamedGroup(names), get_state=lambda descriptor: None))
    return names


def java_job_counters() -> set[str]:
    """``versions_<outcome>`` in the group ``iot``, one per label of the Outcome enum (ReadingVersions.java)."""
    registration = (VERSIONS / "ReadingVersions.java").read_text(encoding="utf-8")
    assert 'addGroup("iot")' in registration and 'counter("versions_" + outcome.label)' in registration, \
        "ReadingVersions registers its counters otherwise: update java_job_counters"
    labels = re.findall(r'^\s+[A-Z_]+\("(\w+)"\)[,;]', (VERSIONS / "Outcome.java").read_text(encoding="utf-8"), re.MULTILINE)
    assert labels, "no label found in Outcome.java"
    return {f"{OPERATOR_SCOPE}_iot_versions_{label}" for label in labels}


@pytest.fixture(scope="module")
def exported() -> set[str]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        job = python_job_counters(monkeypatch) | java_job_counters()
    return exposed(ingest_metrics()) | exposed(probe_metrics()) | job


def unknown(expressions: list[tuple[str, str]], exported: set[str]) -> list[str]:
    """``name: metric`` for each metric of ours an expression names that nothing exports."""
    return [f"{name}: {metric}" for name, expr in expressions for metric in sorted(metric_names(expr))
            if metric.startswith(OURS) and metric not in exported]


def test_every_metric_of_ours_an_alert_names_is_exported(exported: set[str]) -> None:
    assert unknown(alert_expressions(), exported) == []


def test_every_metric_of_ours_a_dashboard_panel_names_is_exported(exported: set[str]) -> None:
    assert unknown(dashboard_queries(), exported) == []


def test_the_names_are_those_flink_and_our_exporters_give(exported: set[str]) -> None:
    """A few names of docs/operations.md#monitoring, to be sure the names above are built right."""
    assert {
        f"{OPERATOR_SCOPE}_iot_readings_in",
        f"{OPERATOR_SCOPE}_iot_reason_readings_rejected",
        f"{OPERATOR_SCOPE}_iot_versions_replaces_too_late",
        f"{OPERATOR_SCOPE}_iot_rows_deleted",
        f"{OPERATOR_SCOPE}_iot_cassandra_write_retries",
        "iot_ingest_api_call_seconds_bucket",
        "iot_pipeline_freshness_seconds",
    } <= exported


def test_a_misspelt_counter_is_caught(exported: set[str]) -> None:
    panels = [("Rows deleted", f"sum(rate({OPERATOR_SCOPE}_iot_rows_delted[1m])) or vector(0)"),
              ("Spool", "max(iot_ingest_spool_file)"), ("Kafka", "max(kafka_server_replicamanager_x)")]
    assert unknown(panels, exported) == [f"Rows deleted: {OPERATOR_SCOPE}_iot_rows_delted", "Spool: iot_ingest_spool_file"]
