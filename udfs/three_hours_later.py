"""Copies three hours later: each counted value also as the "before" value of the hour three hours later.

The step runs in the JVM (``jvm/job-functions``, ``fr.iot.temperature.means.CopiesThreeHoursLater``),
chained after the versions step: every change of a value (an insert or a retraction) leaves as
two rows, (its hour, region, own temperature) and (hour + 3 h, region, "earlier" temperature), so
one aggregation keyed by (hour, region) holds both means. It replaced an SQL
``CROSS JOIN UNNEST(ARRAY[hour_ms, hour_ms + 3 h])`` whose generated code took about a third of
the versions task's time (docs/benchmarks.md).
"""

from __future__ import annotations

from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway


def copies_three_hours_later(contributions: DataStream) -> DataStream:
    """(hour_ms, region, own_temperature, earlier_temperature) rows, two per change of ``contributions``.

    ``contributions`` is the versions step's changelog of (hour_ms, region, temperature).
    """
    step = get_gateway().jvm.fr.iot.temperature.means.CopiesThreeHoursLater
    return DataStream(step.of(contributions._j_data_stream))
