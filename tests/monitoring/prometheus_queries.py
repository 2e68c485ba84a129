"""What the monitoring tests ask of the local Prometheus, and the metric names a PromQL expression uses."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = "http://127.0.0.1:9090"
DASHBOARD = ROOT / "monitoring" / "grafana" / "iot-pipeline.json"
ALERTS = ROOT / "monitoring" / "alerts.yml"
# Our metrics and those of the exporters we run; label values (quoted) are left out first.
METRIC_NAME = re.compile(r"\b(?:iot|flink|kafka|cassandra|node|kube|kubelet)_[A-Za-z0-9_]+")


def api(path: str, **params: str) -> Any:
    url = f"{PROMETHEUS}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = json.load(response)
    assert answer["status"] == "success", answer
    return answer["data"]


def query(expr: str) -> list[dict]:
    return api("query", query=expr)["result"]


def metric_names(expr: str) -> set[str]:
    return set(METRIC_NAME.findall(re.sub(r'"[^"]*"', '""', expr)))


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expression) of every query of the Grafana dashboard."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel.get("targets", [])]


def alert_expressions() -> list[tuple[str, str]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"] if "alert" in rule]
