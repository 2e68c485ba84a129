"""The job must reach Kafka with the credentials the compose deployment gives every client."""

from __future__ import annotations

import re

from settings import JobSettings, KafkaSettings, ReadingRules

# The connector jar relocates the Kafka client: the unshaded module name fails to load there.
SHADED_SCRAM = r"org\.apache\.flink\.kafka\.shaded\.org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required"


def test_job_kafka_tables_log_in_with_scram() -> None:
    from jobs.hourly_region_means import kafka_source_ddl, keyed_records_sink_ddl

    kafka = KafkaSettings(bootstrap_servers="kafka:9092", sasl_username="iot", sasl_password="s3cret")
    job = JobSettings()
    for ddl in (kafka_source_ddl(kafka, job, ReadingRules()),
                keyed_records_sink_ddl("late_sink", "sensor.readings.late", kafka, job)):
        assert re.search(r"'properties\.security\.protocol'\s*=\s*'SASL_PLAINTEXT'", ddl)
        assert re.search(r"'properties\.sasl\.mechanism'\s*=\s*'SCRAM-SHA-512'", ddl)
        assert re.search(rf"'properties\.sasl\.jaas\.config'\s*=\s*'{SHADED_SCRAM}", ddl)


def test_without_a_user_the_job_connects_in_plaintext() -> None:
    from jobs.hourly_region_means import kafka_source_ddl

    assert "sasl" not in kafka_source_ddl(KafkaSettings(), JobSettings(), ReadingRules())
