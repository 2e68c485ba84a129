"""deploy/k8s/monitoring-config.yaml carries the very rules the local stack runs and promtool tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitoring.k8s_config import OUTPUT, rendered

ROOT = Path(__file__).resolve().parents[2]


def test_the_rendered_file_is_current() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == rendered(), "stale: run python -m monitoring.k8s_config"


def test_it_holds_the_alert_rules_and_the_kafka_jmx_rules_unchanged() -> None:
    rules, kafka_metrics = yaml.safe_load_all(OUTPUT.read_text(encoding="utf-8"))
    alerts = yaml.safe_load((ROOT / "monitoring" / "alerts.yml").read_text(encoding="utf-8"))
    assert [{k: v for k, v in group.items() if k != "interval"} for group in rules["spec"]["groups"]] == alerts["groups"]
    assert kafka_metrics["data"]["kafka.yml"] == (ROOT / "monitoring" / "jmx" / "kafka.yml").read_text(encoding="utf-8")
    kafka = yaml.safe_load((ROOT / "deploy" / "k8s" / "kafka.yaml").read_text(encoding="utf-8").split("---")[1])
    assert kafka["spec"]["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"] == {"name": "iot-kafka-metrics",
                                                                                        "key": "kafka.yml"}
