"""The job's JVM functions (``jvm/job-functions``): where their jar is, how the job loads and ships it.

Steps of the job run in the JVM because they run once per message and are cheap there: the
event time the Kafka source's watermark reads (``ReadingEventTime``), the parse of plainly valid
readings (``PlainReading``), the partition watermarks, the versions by id and the copies three
hours later (``udfs.partition_watermark``, ``udfs.reading_versions``,
             ``udfs.three_hours_later``). ``make install`` compiles them into one jar.
"""

from __future__ import annotations

from pathlib import Path

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import add_jars_to_context_class_loader

JOB_FUNCTIONS_JAR = Path(__file__).resolve().parent.parent / "build" / "lib" / "job-functions" / "iot-job-functions.jar"
EVENT_TIME_FUNCTION = "fr.iot.temperature.events.ReadingEventTime"
PLAIN_READING_FUNCTION = "fr.iot.temperature.events.PlainReading"


def job_functions_jar(jar: Path = JOB_FUNCTIONS_JAR) -> Path:
    if not jar.is_file():
        raise FileNotFoundError(f"no job functions jar at {jar}: run scripts/bootstrap.sh")
    return jar


def with_job_functions(env: StreamExecutionEnvironment, jar: Path = JOB_FUNCTIONS_JAR) -> StreamExecutionEnvironment:
    """Load the functions in this client and ship their jar with the job (``pipeline.jars``)."""
    env.add_jars(job_functions_jar(jar).as_uri())
    return env


def job_functions(jar: Path = JOB_FUNCTIONS_JAR):
    """The functions' Java package (``fr.iot.temperature``), for calls from this Python process.

    PyFlink's gateway answers each call on one of a pool of JVM threads, and ``add_jars`` puts the
    jar on the class loader of the thread that answered it only: a call that another thread
    answers found no class (a CI run did). So the jar goes on the answering thread's class loader
    first, which costs two calls when it is there already.
    """
    add_jars_to_context_class_loader([job_functions_jar(jar).as_uri()])
    return get_gateway().jvm.fr.iot.temperature
