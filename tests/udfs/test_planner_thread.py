"""A table environment planned on another JVM thread than the one that created it and loaded the
job's jar: PyFlink's pool of gateway connections does that whenever two Python threads have used
the gateway. Flink 2.2's planner then failed with ``NullPointerException: metadataHandlerProvider``
(``fr.iot.temperature.tables.PlannerThread`` fixes it), and our classes were not found on that
thread (``udfs.jvm_functions.job_functions`` fixes it): two CI runs did."""

from __future__ import annotations

import threading
import time

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway
from pyflink.table import StreamTableEnvironment

from jobs import hourly_region_means as job
from settings import JobSettings
from tests.udfs.test_partition_watermark import PARSED, T0, message
from udfs.jvm_functions import with_job_functions


def test_a_table_environment_plans_on_a_jvm_thread_that_did_not_create_it() -> None:
    gateway = get_gateway()
    env = with_job_functions(StreamExecutionEnvironment.get_execution_environment())
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    parsed = t_env.from_data_stream(env.from_collection([message(0, T0, "a")], type_info=PARSED))
    creating_thread = gateway.jvm.java.lang.Thread.currentThread().getName()
    done = gateway.jvm.java.util.concurrent.Semaphore(0)
    waiting = threading.Event()
    outcome: dict[str, object] = {}

    def plan_elsewhere() -> None:
        try:
            # No call to the JVM before the main thread waits on the semaphore, which holds its
            # connection: this thread's calls then go through another one, to another JVM thread.
            waiting.wait()
            time.sleep(0.2)
            while not done.hasQueuedThreads():
                time.sleep(0.01)
            outcome["thread"] = gateway.jvm.java.lang.Thread.currentThread().getName()
            readings = job.partition_watermarks(t_env, parsed, JobSettings(out_of_orderness_seconds=30)).readings
            outcome["planned"] = readings is not None
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = error
        finally:
            done.release()

    other = threading.Thread(target=plan_elsewhere)
    other.start()
    waiting.set()
    done.acquire()
    other.join()

    assert outcome.get("thread") not in (None, creating_thread)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["planned"]
