"""The alert rules: valid for Prometheus, unit-tested with promtool, each one tested, each one documented."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from monitoring.local_config import with_short_for, write_local_config
from settings import JobSettings, KafkaSettings

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "alerts.yml"
RULE_TESTS = Path(__file__).with_name("alerts_test.yml")
OPERATIONS = ROOT / "docs" / "operations.md"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: scripts/bootstrap.sh installs Debian's prometheus package, which has it"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"] if "alert" in rule]


def test_the_rules_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_pass() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    tested = {case["alertname"] for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
              for case in test.get("alert_rule_test", [])}
    assert {rule["alert"] for rule in alerts()} - tested == set()


def test_every_alert_has_a_severity_and_a_runbook_section_that_exists() -> None:
    anchors = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
               for line in OPERATIONS.read_text().splitlines() if line.startswith("#")}
    for rule in alerts():
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operations.md" and anchor in anchors, f"{rule['alert']}: no section #{anchor}"


def test_every_alert_is_named_in_the_operations_page() -> None:
    text = OPERATIONS.read_text()
    assert [rule["alert"] for rule in alerts() if f"`{rule['alert']}`" not in text] == []


def flink_label_value(value: str) -> str:
    """A label value as Flink's Prometheus reporters write it: every character outside
    [a-zA-Z0-9:_] replaced by _ (the local Prometheus holds job_name="iot_hourly_region_means")."""
    return re.sub(r"[^a-zA-Z0-9:_]", "_", value)


def test_the_rules_select_the_job_and_the_topic_the_pipeline_runs_under() -> None:
    """``IotJobNotRunning`` is ``absent()`` of the job's series (under another name it fires always)
    and ``IotConsumerLagHigh`` divides by the readings topic's input (under another name it never
    fires). The pipeline runs under the default names locally (make demo) and on Kubernetes."""
    rules = {rule["alert"]: rule["expr"] for rule in alerts()}
    assert f'job_name="{flink_label_value(JobSettings().name)}"' in rules["IotJobNotRunning"]
    assert f'topic="{KafkaSettings().readings_topic}"' in rules["IotConsumerLagHigh"]
    assert flink_label_value("iot-hourly-region-means") == "iot_hourly_region_means"


def test_the_local_rules_keep_production_expressions_with_a_short_for(tmp_path: Path) -> None:
    write_local_config(tmp_path, "7s")
    local = yaml.safe_load((tmp_path / "alerts.yml").read_text())
    production = yaml.safe_load(RULES.read_text())
    assert local == with_short_for(production, "7s")
    local_alerts = [rule for group in local["groups"] for rule in group["rules"] if "alert" in rule]
    assert {rule["for"] for rule in local_alerts} == {"7s"}
    assert [rule["expr"] for rule in local_alerts] == [rule["expr"] for rule in alerts()]
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_local_for_that_is_not_a_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        with_short_for({"groups": []}, "ten seconds")
