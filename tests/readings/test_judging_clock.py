"""``future_timestamp`` is judged by the broker's clock, which no producer controls (issue 13).

The job compares a reading's time with its record's Kafka timestamp; a producer sets that
timestamp unless the topic says ``LogAppendTime``, so every place that creates the readings
topic must say it (a replay then reads the same stamps, and reaches the same verdicts).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.provision import topic_configs
from settings import KafkaSettings

K8S_TOPICS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "kafka-topics.yaml"


def test_provisioning_stamps_the_readings_topic_by_the_broker() -> None:
    kafka = KafkaSettings(readings_topic="run.readings")
    assert topic_configs(kafka)["run.readings"] == {"message.timestamp.type": "LogAppendTime"}


def test_the_kubernetes_readings_topic_is_stamped_by_the_broker() -> None:
    topics = {doc["metadata"]["name"]: doc["spec"] for doc in yaml.safe_load_all(K8S_TOPICS.read_text())}
    readings = KafkaSettings().readings_topic
    assert (
        topics[readings]["config"]["message.timestamp.type"] == topic_configs(KafkaSettings())[readings]["message.timestamp.type"]
    )
