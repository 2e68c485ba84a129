"""Versions by id: the last version of a reading wins, within the allowed lateness.

The step runs in the JVM (``jvm/job-functions``, ``fr.iot.temperature.versions``): keyed by
reading id, it keeps the winning version and turns every message into changes of the hourly
means. A new reading adds one value, a correction retracts the old value (from its hour and
region) and adds the new one, an exact duplicate changes nothing, and a version that comes too
late changes nothing and goes to the late topic. It was a Python ``KeyedProcessFunction`` first;
every state read and timer crossed PyFlink's gRPC boundary, which made it the job's bottleneck
(docs/benchmarks.md); the environment needs ``udfs.jvm_functions.with_job_functions``. The oracle
(``oracle/hourly_means.py``) states the same rules in Python.
"""

from __future__ import annotations

from pyflink.datastream import DataStream
from pyflink.table import StreamTableEnvironment, Table

from udfs.jvm_functions import job_functions


def reading_versions(t_env: StreamTableEnvironment, readings: DataStream, allowed_lateness_ms: int,
                     retention_ms: int) -> tuple[DataStream, Table]:
    """(value changes as hour_ms, region, temperature, weight; late records as late_key, late_value).

    ``readings`` is a stream of internal rows (``udfs.internal_rows``) with the columns id,
    event_ms, lat, lon, temperature, region, watermark_ms. A change adds its value (weight +1)
    or takes it back (weight -1): signs keep the stream insert-only.
    """
    step = job_functions().versions.ReadingVersionsStep
    versions = step.versions(readings._j_data_stream, allowed_lateness_ms, retention_ms)
    return DataStream(versions), Table(step.lateReadings(t_env._j_tenv, versions), t_env)
