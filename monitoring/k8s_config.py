"""deploy/k8s/monitoring-config.yaml: the alert rules and the Kafka JMX exporter rules, for Kubernetes.

Kustomize reads no file outside deploy/k8s/, and production must run the very rules the local
stack runs and promtool tests: this renders monitoring/alerts.yml as a Rules resource of Google
Cloud Managed Service for Prometheus, and monitoring/jmx/kafka.yml as the ConfigMap Strimzi's JMX
exporter reads (kafka.yaml). tests/monitoring/test_k8s_config.py fails when the file is stale.

    python -m monitoring.k8s_config            # rewrite deploy/k8s/monitoring-config.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "deploy" / "k8s" / "monitoring-config.yaml"
# Managed Service for Prometheus evaluates each group at this interval (its field is required).
RULE_INTERVAL = "30s"
HEADER = """\
# Rendered by monitoring/k8s_config.py from monitoring/alerts.yml and monitoring/jmx/kafka.yml:
# edit those and run `python -m monitoring.k8s_config` (tests/monitoring/test_k8s_config.py
# fails when this file is stale).
"""


def documents() -> list[dict[str, Any]]:
    alerts = yaml.safe_load((HERE / "alerts.yml").read_text(encoding="utf-8"))
    rules = {
        "apiVersion": "monitoring.googleapis.com/v1",
        "kind": "Rules",
        "metadata": {"name": "iot-alerts"},
        "spec": {"groups": [{"name": group["name"], "interval": RULE_INTERVAL, "rules": group["rules"]}
                            for group in alerts["groups"]]},
    }
    kafka_metrics = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "iot-kafka-metrics"},
        "data": {"kafka.yml": (HERE / "jmx" / "kafka.yml").read_text(encoding="utf-8")},
    }
    return [rules, kafka_metrics]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the ConfigMap's file, long expressions) as literal blocks, readable in review."""


_Dumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)
)


def rendered() -> str:
    return HEADER + yaml.dump_all(documents(), Dumper=_Dumper, sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    if argv if argv is not None else sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUTPUT.write_text(rendered(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
