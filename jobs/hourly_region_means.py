"""The streaming job: hourly mean temperature per region of France, from Kafka to Cassandra.

It reads like the data flow of docs/contract.md §3:

    source -> parse and locate -> partition watermark -> (rejected -> dead letters)
                                                     -> (every message -> archive)
           -> versions by id  -> (too late -> late topic)
           -> copies three hours later -> hourly means (and three hours before) -> Cassandra
           -> (each write -> results topic)

Each step is a small function that builds a table or a stream, so each can be tested alone.
Submit it with ``iot-submit --job hourly`` (``flink run``) or run it in a local mini-cluster.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from pyflink.common import Types
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.table import DataTypes, Expression, StreamTableEnvironment, Table, TableEnvironment
from pyflink.table.expressions import call, coalesce, col, lit

from readings.timestamps import earliest_ms
from results.daily import DAY_MS
from settings import ArchiveSettings, JobSettings, KafkaSettings, ReadingRules, Settings
from udfs.cassandra_writer import CassandraResultWriter, RetryPolicy
from udfs.daily_writer import DailyTableWriter
from udfs.internal_rows import rows_table
from udfs.jvm_functions import EVENT_TIME_FUNCTION, PLAIN_READING_FUNCTION, with_job_functions
from udfs.parse_and_locate import COLUMNS, parse_and_locate_udf
from udfs.partition_watermark import JudgedMessages, partition_watermark
from udfs.reading_versions import reading_versions
from udfs.three_hours_later import copies_three_hours_later

SOURCE = "sensor_readings"
# The source's columns carried past the parse step for partition_watermarks: the partition and
# event time its watermark needs, and the rest of what the archive keeps of each message.
SOURCE_COLUMNS = ["kafka_partition", "event_time", "kafka_offset", "kafka_timestamp", "payload"]


EVENT_TIME = "reading_event_time"
PLAIN_READING = "plain_reading"


def event_time_expression(rules: ReadingRules) -> str:
    """SQL for the watermark's time attribute: the JVM function ``ReadingEventTime``, once per message.

    The watermark has to be declared on the source to be tracked per Kafka partition, before any
    Python runs. The function reads the payload's ``timestamp`` with the Python parser's rules
    (naive times in ``IOT_RULES_TIMEZONE``) to the second; a message without a readable one, or
    with one before the earliest accepted time or beyond the future margin of its Kafka timestamp
    (the broker's append time), gets the epoch, so it never moves
    the watermark. (It replaced an SQL expression of JSON_VALUE, regular expressions and
    TO_TIMESTAMP that parsed each message a dozen times and took most of the source's time.)
    """
    zone = rules.timezone.replace("'", "''")
    margin_ms = round(rules.future_margin_seconds * 1000)
    earliest = earliest_ms(rules.earliest_year)
    return f"{EVENT_TIME}(payload, kafka_timestamp, '{zone}', CAST({margin_ms} AS BIGINT), CAST({earliest} AS BIGINT))"


def register_event_time(t_env: TableEnvironment) -> None:
    t_env.create_java_temporary_system_function(EVENT_TIME, EVENT_TIME_FUNCTION)


# The connector jar relocates the Kafka client, so the JAAS login module goes by its shaded name.
SCRAM_LOGIN_MODULE = "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule"


def kafka_connection_options(kafka: KafkaSettings) -> str:
    """The connector's client options: the brokers and, when a user is configured, SASL/SCRAM."""
    options = {"properties.bootstrap.servers": kafka.bootstrap_servers}
    if kafka.sasl_username:
        def jaas(value: str) -> str:
            return value.replace("\\", "\\\\").replace('"', '\\"')

        options |= {
            "properties.security.protocol": "SASL_PLAINTEXT",
            "properties.sasl.mechanism": kafka.sasl_mechanism,
            "properties.sasl.jaas.config": f'{SCRAM_LOGIN_MODULE} required username="{jaas(kafka.sasl_username)}" '
                                           f'password="{jaas(kafka.sasl_password or "")}";',
        }
    return ",\n          ".join(f"'{key}' = '{value.replace(chr(39), chr(39) * 2)}'" for key, value in options.items())


def kafka_topic_options(kafka: KafkaSettings, topic: str) -> str:
    """The WITH options every Kafka table of ours starts with: the connector, the topic, the client."""
    return f"'connector' = 'kafka',\n          'topic' = '{topic}',\n          {kafka_connection_options(kafka)}"


# A backfill's run (IOT_JOB_BOUNDED): the topic up to its offsets at the start, then the job finishes.
BOUNDED = "\n          'scan.bounded.mode' = 'latest-offset',"


def kafka_source_ddl(kafka: KafkaSettings, job: JobSettings, rules: ReadingRules) -> str:
    return f"""
        CREATE TABLE {SOURCE} (
          payload BYTES,
          kafka_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
          kafka_partition INT METADATA FROM 'partition' VIRTUAL,
          kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
          event_time AS {event_time_expression(rules)},
          WATERMARK FOR event_time AS event_time - INTERVAL '{job.out_of_orderness_seconds}' SECOND
        ) WITH (
          {kafka_topic_options(kafka, kafka.readings_topic)},
          'properties.group.id' = '{job.consumer_group}',
          'properties.auto.offset.reset' = 'earliest',
          'scan.startup.mode' = 'group-offsets',
          'scan.watermark.idle-timeout' = '{job.idle_partition_timeout_seconds} s',{BOUNDED if job.bounded else ""}
          'format' = 'raw'
        )"""


def keyed_records_sink_ddl(table: str, topic: str, kafka: KafkaSettings, job: JobSettings) -> str:
    """A Kafka sink of ready-made (key, JSON value) records, written exactly once: the dead
    letters, and the results topic, where a NULL value is a tombstone."""
    return f"""
        CREATE TABLE {table} (
          k STRING,
          v STRING
        ) WITH (
          {kafka_topic_options(kafka, topic)},
          'properties.transaction.timeout.ms' = '900000',
          'sink.delivery-guarantee' = 'exactly-once',
          'sink.transactional-id-prefix' = '{job.name}-{table}',
          'key.format' = 'raw',
          'key.fields' = 'k',
          'value.format' = 'raw',
          'value.fields-include' = 'EXCEPT_KEY'
        )"""


def kafka_source(t_env: StreamTableEnvironment, settings: Settings) -> Table:
    """Source: raw messages of ``sensor.readings`` with an event-time watermark per partition."""
    register_event_time(t_env)
    t_env.execute_sql(kafka_source_ddl(settings.kafka, settings.job, settings.rules))
    return t_env.from_path(SOURCE)


def plain_reading_call(rules: ReadingRules) -> Expression:
    """The JVM's parse of a plainly valid reading (``PlainReading``): one row per message, its
    ``plain_*`` columns NULL for any message that is not plainly a reading."""
    return call(
        PLAIN_READING,
        col("payload"),
        col("kafka_timestamp"),
        lit(rules.timezone),
        lit(round(rules.future_margin_seconds * 1000)).cast(DataTypes.BIGINT(False)),
        lit(earliest_ms(rules.earliest_year)).cast(DataTypes.BIGINT(False)),
        lit(rules.max_id_length).cast(DataTypes.INT(False)),
        lit(float(rules.min_temperature)).cast(DataTypes.DOUBLE(False)),
        lit(float(rules.max_temperature)).cast(DataTypes.DOUBLE(False)),
    )


READING_COLUMNS = ["id", "event_ms", "lat", "lon", "temperature"]


def parse_and_locate(t_env: StreamTableEnvironment, source: Table, settings: Settings) -> Table:
    """Parse in the JVM what is plainly a reading, hand the Python UDF only its coordinates (and
    every other message whole), and take each reading's columns from whichever parsed it. Each
    message keeps the source's columns (``SOURCE_COLUMNS``) for ``partition_watermarks``."""
    t_env.create_java_temporary_system_function(PLAIN_READING, PLAIN_READING_FUNCTION)
    parse = parse_and_locate_udf(settings.rules, settings.job.fail_once_marker)
    plain = source.left_outer_join_lateral(plain_reading_call(settings.rules))
    parsed = plain.select(
        parse(col("payload"), col("kafka_timestamp"), col("plain_lat"), col("plain_lon")).alias("m"),
        *[col(f"plain_{name}") for name in READING_COLUMNS], *[col(name) for name in SOURCE_COLUMNS],
    )
    return parsed.select(
        *[
            coalesce(col("m").get(name), col(f"plain_{name}")).alias(name) if name in READING_COLUMNS
            else col("m").get(name).alias(name)
            for name in COLUMNS
        ],
        *[col(name) for name in SOURCE_COLUMNS],
    )


def partition_watermarks(t_env: StreamTableEnvironment, parsed: Table, job: JobSettings) -> JudgedMessages:
    """Readings, each with the watermark its lateness is judged against; rejected messages as dead
    letters; every message as read, for the archive.

    The watermark is that of the message's own Kafka partition: the highest event time read from
    it up to and including the message, minus the out-of-orderness, kept in checkpointed state
    (``udfs.partition_watermark``). Flink's own watermark restarts from nothing and advances with
    processing speed; this one depends only on the partition's content, so a restart, a replay or
    another parallelism reaches the same verdicts.
    """
    return partition_watermark(t_env, parsed, job.out_of_orderness_seconds * 1000)


def versioned_contributions(t_env: StreamTableEnvironment, readings: DataStream, job: JobSettings) -> tuple[DataStream, Table]:
    """Versions: the last message per id wins; returns (signed changes of counted values, too-late readings).

    A new reading adds its value (weight +1), a correction takes the old one back (weight -1)
    and adds the new one: signs rather than retractions, so the changes stay insert-only.
    """
    versions, late = reading_versions(t_env, readings, job.allowed_lateness_seconds * 1000, job.id_retention_ms)
    versions = versions.uid("reading-versions").name("versions by id")
    return versions, late.select(col("late_key").alias("k"), col("late_value").alias("v"))


def with_copies_three_hours_later(t_env: StreamTableEnvironment, contributions: DataStream) -> Table:
    """Each contribution twice: in its own hour, and in the hour three hours later as its "before".

    So one aggregation keyed by (hour, region) holds a row's mean and the mean three hours
    earlier, and a change of either is one update of the row. (A LEFT JOIN of the means with
    themselves, its predecessor, sent every change of a row as a delete and an insert, so
    readers of Cassandra found rows missing, and held the aggregation state twice.) A JVM step
    chained after the versions step makes the copies (``udfs.three_hours_later``).
    """
    return copies_three_hours_later(t_env, contributions)


def hourly_means(t_env: StreamTableEnvironment, contributions: Table) -> Table:
    """Hourly means and the mean three hours before, from signed sums: a regular aggregation.

    A correction takes its old value back by adding it with weight -1, so a mean is its sum over
    its count, and a key whose count falls back to 0 has no mean. A key whose hour has no
    reading of its own (``readings`` 0) carries only the mean three hours before: it is not a
    row of the results (``udfs.cassandra_writer.has_row``).
    """
    return t_env.sql_query(
        f"SELECT hour_ms, region, SUM(own_sum) / NULLIF(SUM(own_count), 0) AS mean_temperature, "
        f"COALESCE(SUM(own_count), 0) AS readings, "
        f"SUM(earlier_sum) / NULLIF(SUM(earlier_count), 0) AS mean_temperature_3h_before "
        f"FROM {contributions} GROUP BY hour_ms, region"
    )


def write_to_cassandra(t_env: StreamTableEnvironment, results: Table, settings: Settings) -> Table:
    """Sink: keyed by (hour, region) so one key's writes stay in order, then upserted or deleted;
    returns each write as a record of the results topic (``results.records``), in the same order."""
    retry = RetryPolicy(settings.job.sink_retry_seconds)
    records = (
        t_env.to_changelog_stream(results)
        .key_by(lambda row: f"{row.hour_ms}/{row.region}", key_type=Types.STRING())
        .process(CassandraResultWriter(settings.cassandra, retry),
                 output_type=Types.ROW_NAMED(["k", "v"], [Types.STRING(), Types.STRING()]))
        .uid("cassandra-writer")
        .name("upsert into cassandra")
    )
    return t_env.from_data_stream(records)


ARCHIVE = "readings_archive"


def archive_uri(archive: ArchiveSettings) -> str:
    """The sink's path: a URI as given, a local directory as an absolute ``file://`` URI."""
    return archive.path if "://" in archive.path else Path(archive.path).absolute().as_uri()


# Parquet compresses a page at a time in direct memory that its writers keep, pooled, for the life of
# the job's class loader (a Snappy compressor holds a page and its compressed copy): with the
# default 1 MB pages, a backlog that touches many hours, or a few jobs in one TaskManager, filled
# the TaskManager's direct memory and the job restarted for ever (OutOfMemoryError: Direct buffer
# memory). Small pages, and no dictionary (payloads are unique), keep each writer to a few hundred KB.
ARCHIVE_PAGE_BYTES = 64 * 1024


def archive_sink_ddl(archive: ArchiveSettings) -> str:
    """Parquet files partitioned by event hour, committed with the checkpoints (exactly once).

    The Kafka timestamp is Parquet's INT64 milliseconds of UTC (a column without a zone, as Flink
    writes it): Flink's default, INT96, went through ``java.sql.Timestamp`` and the JVM's calendar
    for every message, a fifth of the archive's Parquet work in a JFR profile (docs/benchmarks.md).
    """
    return f"""
        CREATE TABLE {ARCHIVE} (
          kafka_partition INT,
          kafka_offset BIGINT,
          kafka_timestamp TIMESTAMP_LTZ(3),
          payload BYTES,
          event_hour STRING
        ) PARTITIONED BY (event_hour) WITH (
          'connector' = 'filesystem',
          'path' = '{archive_uri(archive).replace("'", "''")}',
          'format' = 'parquet',
          'parquet.compression' = 'SNAPPY',
          'parquet.page.size' = '{ARCHIVE_PAGE_BYTES}',
          'parquet.dictionary.page.size' = '{ARCHIVE_PAGE_BYTES}',
          'parquet.enable.dictionary' = 'false',
          'parquet.write.int64.timestamp' = 'true',
          'parquet.timestamp.time.unit' = 'millis',
          'parquet.utc-timezone' = 'true',
          'sink.rolling-policy.file-size' = '{archive.file_size}'
        )"""


def archive_sink(t_env: StreamTableEnvironment, settings: Settings) -> str:
    """The archive of every message the job read (its Kafka partition, offset and timestamp, the raw
    value, its UTC event hour): the history beyond Kafka's retention that backfills and data tools
    read (docs/archive.md). Its rows come from the partition watermark step, which sees every
    message of the source's scan, so the topic is read once."""
    t_env.execute_sql(archive_sink_ddl(settings.archive))
    return ARCHIVE


DAILY_WRITES = "daily_writes"


def daily_extremes_and_means(t_env: StreamTableEnvironment, contributions: DataStream) -> Table:
    """Daily minimum, maximum and mean temperature per region (UTC days), from the same signed contributions.

    A mean is sums, which a correction's -1 takes back; a minimum is not: once the lowest value is
    replaced, the next lowest must be known. So each (day, region, temperature) is counted first
    and kept only while its count is above zero: a -1 that brings a value's count to zero turns
    into the retraction of that row, and MIN and MAX over a retracting input keep every value
    still present, so the replaced value leaves them. State: one count per distinct value of a
    day and region (docs/archive.md, a new aggregation).
    """
    values_counted = t_env.sql_query(
        f"SELECT hour_ms - MOD(hour_ms, {DAY_MS}) AS day_ms, region, temperature, CAST(SUM(weight) AS BIGINT) AS copies "
        f"FROM {rows_table(t_env, contributions)} GROUP BY hour_ms - MOD(hour_ms, {DAY_MS}), region, temperature "
        f"HAVING SUM(weight) > 0"
    )
    return t_env.sql_query(
        f"SELECT day_ms, region, MIN(temperature) AS min_temperature, MAX(temperature) AS max_temperature, "
        f"SUM(temperature * copies) / SUM(copies) AS mean_temperature, SUM(copies) AS readings "
        f"FROM {values_counted} GROUP BY day_ms, region"
    )


def write_daily_to_cassandra(t_env: StreamTableEnvironment, daily: Table, settings: Settings) -> Table:
    """Sink: each change of a (day, region) upserted or deleted in order (keyed); nothing goes on,
    so the statement ends in a table that discards its rows."""
    t_env.execute_sql(f"CREATE TABLE {DAILY_WRITES} (day_ms BIGINT) WITH ('connector' = 'blackhole')")
    written = (
        t_env.to_changelog_stream(daily)
        .key_by(lambda row: f"{row.day_ms}/{row.region}", key_type=Types.STRING())
        .process(DailyTableWriter(settings.cassandra, RetryPolicy(settings.job.sink_retry_seconds)),
                 output_type=Types.ROW_NAMED(["day_ms"], [Types.LONG()]))
        .uid("daily-cassandra-writer")
        .name("upsert daily into cassandra")
    )
    return t_env.from_data_stream(written)


def configure(t_env: StreamTableEnvironment, settings: Settings) -> None:
    config = t_env.get_config()
    config.set("pipeline.name", settings.job.name)
    config.set("table.local-time-zone", settings.rules.timezone)
    config.set("table.exec.mini-batch.enabled", "false")
    # Every SQL operator gets a uid from the plan: the generated ids hash the chaining, which
    # changes with the parallelism wherever a step runs alone (the `end` sink after the archive's writer), and a
    # savepoint could then not be restored at another parallelism.
    config.set("table.exec.uid.generation", "ALWAYS")


def enable_mini_batches(t_env: StreamTableEnvironment, settings: Settings) -> None:
    """Mini-batches bound the write rate: each (hour, region) changes at most once per batch, and
    a batch closes after ``result_latency_ms``, or sooner under a backlog of ``result_batch_rows``.

    Only for what is translated after this call: the processing-time mini-batch assigner
    replaces event-time watermarks downstream, so the steps that judge lateness are translated
    (``to_data_stream``) before it is switched on.
    """
    config = t_env.get_config()
    config.set("table.exec.mini-batch.enabled", "true")
    config.set("table.exec.mini-batch.allow-latency", f"{settings.job.result_latency_ms} ms")
    config.set("table.exec.mini-batch.size", str(settings.job.result_batch_rows))
    config.set("table.optimizer.agg-phase-strategy", "TWO_PHASE")


ParseStep = Callable[[StreamTableEnvironment, Table, Settings], Table]


def build(t_env: StreamTableEnvironment, settings: Settings, parse: ParseStep | None = None):
    """The whole job as one statement set: dead letters, late readings and the results.

    ``parse`` replaces the parse-and-locate step (the benchmarks measure the job without
    its Python UDF that way).
    """
    configure(t_env, settings)
    kafka, job = settings.kafka, settings.job
    t_env.execute_sql(keyed_records_sink_ddl("rejected_sink", kafka.rejected_topic, kafka, job))
    t_env.execute_sql(keyed_records_sink_ddl("late_sink", kafka.late_topic, kafka, job))
    t_env.execute_sql(keyed_records_sink_ddl("results_sink", kafka.results_topic, kafka, job))

    parsed = (parse or parse_and_locate)(t_env, kafka_source(t_env, settings), settings)
    readings, rejected, archived = partition_watermarks(t_env, parsed, job)
    contributions, late = versioned_contributions(t_env, readings, job)
    enable_mini_batches(t_env, settings)
    results = hourly_means(t_env, with_copies_three_hours_later(t_env, contributions))
    changes = write_to_cassandra(t_env, results, settings)

    statements = t_env.create_statement_set()
    statements.add_insert("rejected_sink", rejected)
    statements.add_insert("late_sink", late)
    statements.add_insert("results_sink", changes)
    if settings.archive.enabled:
        statements.add_insert(archive_sink(t_env, settings), archived)
    if job.daily_aggregation:
        daily = daily_extremes_and_means(t_env, contributions)
        statements.add_insert(DAILY_WRITES, write_daily_to_cassandra(t_env, daily, settings))
    return statements


def run(parse: ParseStep | None = None, argv: list[str] | None = None) -> None:
    """Build and start the job in the environment ``flink run`` (or a local mini-cluster) gives."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parallelism", type=int, help="default: IOT_JOB_PARALLELISM or the cluster's")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    parallelism = args.parallelism or settings.job.parallelism
    if parallelism:
        env.set_parallelism(parallelism)
    t_env = StreamTableEnvironment.create(env)
    build(t_env, settings, parse).execute()


def main(argv: list[str] | None = None) -> None:
    run(argv=argv)


if __name__ == "__main__":
    main()
