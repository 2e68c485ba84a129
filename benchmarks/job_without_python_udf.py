"""The streaming job with its Python UDF replaced by SQL, the baseline of benchmarks/job_throughput.py.

JSON fields are read with JSON_VALUE and every reading gets one placeholder region: what is
left is the cost of everything but parsing, validating and locating in Python.
"""

from __future__ import annotations

from pyflink.table import StreamTableEnvironment, Table

from jobs.hourly_region_means import SOURCE_COLUMNS, run
from settings import Settings
from udfs.parse_and_locate import COLUMNS, READING


def parse_in_sql(t_env: StreamTableEnvironment, source: Table, settings: Settings) -> Table:
    t_env.create_temporary_view("raw_messages", source)
    text = "CAST(payload AS STRING)"
    parsed = t_env.sql_query(f"""
        SELECT '{READING}' AS kind,
               JSON_VALUE({text}, '$.id') AS id,
               CAST(UNIX_TIMESTAMP(JSON_VALUE({text}, '$.timestamp')) AS BIGINT) * 1000 AS event_ms,
               CAST(JSON_VALUE({text}, '$.lat') AS DOUBLE) AS lat,
               CAST(JSON_VALUE({text}, '$.lon') AS DOUBLE) AS lon,
               CAST(JSON_VALUE({text}, '$.temperature') AS DOUBLE) AS temperature,
               'France' AS region,
               CAST(NULL AS STRING) AS reason,
               CAST(NULL AS STRING) AS dead_letter_key,
               CAST(NULL AS STRING) AS dead_letter_value,
               kafka_partition,
               event_time,
               kafka_offset,
               kafka_timestamp,
               payload
        FROM raw_messages""")
    assert parsed.get_schema().get_field_names() == [*COLUMNS, *SOURCE_COLUMNS]
    return parsed


if __name__ == "__main__":
    run(parse=parse_in_sql)
