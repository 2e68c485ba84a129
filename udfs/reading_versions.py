"""Versions by id: the last version of a reading wins, within the allowed lateness.

The step runs in the JVM (``jvm/job-functions``, ``fr.iot.temperature.versions``): keyed by
reading id, it keeps the winning version and turns every message into changes of the hourly
means. A new reading adds one value, a correction retracts the old value (from its hour and
region) and adds the new one, an exact duplicate changes nothing, and a version that comes too
late changes nothing and goes to the late topic. It was a Python ``KeyedProcessFunction`` first;
every state read and timer crossed PyFlink's gRPC boundary, which made it the job's bottleneck
(docs/benchmarks.md). The oracle (``oracle/hourly_means.py``) states the same rules in Python.
"""

from __future__ import annotations

from pathlib import Path

from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway

JOB_FUNCTIONS_JAR = Path(__file__).resolve().parent.parent / "build" / "lib" / "job-functions" / "iot-job-functions.jar"


def with_job_functions(env: StreamExecutionEnvironment, jar: Path = JOB_FUNCTIONS_JAR) -> StreamExecutionEnvironment:
    """Load the JVM step in this client and ship its jar with the job (``pipeline.jars``)."""
    if not jar.is_file():
        raise FileNotFoundError(f"no job functions jar at {jar}: run scripts/bootstrap.sh")
    env.add_jars(jar.as_uri())
    return env


def reading_versions(readings: DataStream, allowed_lateness_ms: int, retention_ms: int) -> tuple[DataStream, DataStream]:
    """(value changes as a changelog of hour_ms, region, temperature; late records as late_key, late_value).

    ``readings`` has the columns id, event_ms, lat, lon, temperature, region, watermark_ms.
    """
    step = get_gateway().jvm.fr.iot.temperature.versions.ReadingVersionsStep
    versions = step.versions(readings._j_data_stream, allowed_lateness_ms, retention_ms)
    return DataStream(versions), DataStream(step.lateReadings(versions))
