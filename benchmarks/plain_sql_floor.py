"""The floor of benchmarks/job_throughput.py: plain Flink SQL doing the job's core work, no Python, no rules.

The best this machine does on the same topic with Flink's own operators: the Kafka JSON source
(timestamps parsed by the format itself, the fastest way Flink reads them) with the job's watermark,
the last version per id (``ROW_NUMBER`` over proctime, a retracting
changelog), hourly ``AVG``/``COUNT`` per coarse 1-degree cell in place of a region, into a
blackhole. It reads the topic up to its latest offsets and finishes, so its time is the REST API's
RUNNING to FINISHED. What it leaves out is what the job adds: validation and reason codes, the
region lookup, the lateness rules, the dead-letter and late topics, the three-hours-before value
and the Cassandra writes.
"""

from __future__ import annotations

from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs.hourly_region_means import kafka_topic_options
from settings import Settings


def source_ddl(settings: Settings) -> str:
    kafka, job = settings.kafka, settings.job
    return f"""
        CREATE TABLE readings (
          id STRING,
          `timestamp` TIMESTAMP(3),
          lat DOUBLE,
          lon DOUBLE,
          temperature DOUBLE,
          proc AS PROCTIME(),
          WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '{job.out_of_orderness_seconds}' SECOND
        ) WITH (
          {kafka_topic_options(kafka, kafka.readings_topic)},
          'properties.group.id' = '{job.consumer_group}-floor',
          'scan.startup.mode' = 'earliest-offset',
          'scan.bounded.mode' = 'latest-offset',
          'format' = 'json',
          'json.ignore-parse-errors' = 'true',
          'json.timestamp-format.standard' = 'SQL'
        )"""


LAST_VERSIONS = """
    SELECT id, `timestamp` AS ts, lat, lon, temperature FROM (
      SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY proc DESC) AS version_rank FROM readings
    ) WHERE version_rank = 1"""

HOURLY_CELL_MEANS = f"""
    SELECT FLOOR(ts TO HOUR) AS hour_start, CAST(FLOOR(lat) AS INT) * 1000 + CAST(FLOOR(lon) AS INT) AS cell,
           AVG(temperature) AS mean_temperature, COUNT(*) AS readings
    FROM ({LAST_VERSIONS}) GROUP BY FLOOR(ts TO HOUR), CAST(FLOOR(lat) AS INT) * 1000 + CAST(FLOOR(lon) AS INT)"""


def main() -> None:
    settings = Settings.from_env()
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("pipeline.name", f"{settings.job.name}-floor")
    config.set("table.exec.mini-batch.enabled", "true")
    config.set("table.exec.mini-batch.allow-latency", "1 s")
    config.set("table.exec.mini-batch.size", "10000")
    t_env.execute_sql(source_ddl(settings))
    t_env.execute_sql("CREATE TABLE means (hour_start TIMESTAMP(3), cell INT, mean_temperature DOUBLE, "
                      "readings BIGINT) WITH ('connector' = 'blackhole')")
    t_env.execute_sql(f"INSERT INTO means {HOURLY_CELL_MEANS}")


if __name__ == "__main__":
    main()
