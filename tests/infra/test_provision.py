"""What provisioning asks of the topics (docs/contract.md §2.1, §2.6)."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.provision import topic_configs
from settings import KafkaSettings

K8S_TOPICS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "kafka-topics.yaml"


def test_the_results_topic_is_compacted_and_the_readings_topics_are_not() -> None:
    kafka = KafkaSettings(results_topic="run.results")
    configs = topic_configs(kafka)
    assert configs["run.results"]["cleanup.policy"] == "compact"
    assert all(configs.get(topic, {}).get("cleanup.policy", "delete") == "delete"
               for topic in (kafka.readings_topic, kafka.rejected_topic, kafka.late_topic))


def test_the_kubernetes_results_topic_has_the_same_settings() -> None:
    documents = yaml.safe_load_all(K8S_TOPICS.read_text())
    topics = {doc["spec"].get("topicName", doc["metadata"]["name"]): doc["spec"] for doc in documents}
    results = KafkaSettings().results_topic
    for name, value in topic_configs(KafkaSettings())[results].items():
        assert str(topics[results]["config"][name]) == value
