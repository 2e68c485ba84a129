"""The Grafana dashboard's file: loadable, every query names metrics we export, no panel without a query."""

from __future__ import annotations

import json

from tests.monitoring.prometheus_queries import DASHBOARD, dashboard_queries, metric_names


def test_every_panel_has_a_query_and_a_unique_id() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    assert [panel["title"] for panel in panels if panel["type"] != "row" and not panel.get("targets")] == []


def test_every_query_uses_one_of_our_metrics() -> None:
    assert [title for title, expr in dashboard_queries() if not metric_names(expr) and "up" not in expr] == []


def test_metric_names_are_read_outside_label_values() -> None:
    expr = 'absent(flink_jobmanager_job_numRestarts{job_name="iot_hourly_region_means"}) or up{job="kafka_x"}'
    assert metric_names(expr) == {"flink_jobmanager_job_numRestarts"}
