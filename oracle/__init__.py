"""The correctness oracle: what the job must write for a given sequence of messages, computed in plain Python.

The end-to-end and fault tests send messages through the real pipeline, replay the same
messages here, and compare (``diff_tables``). The rules are docs/contract.md §1 and §3,
made exact for one sequence of messages in production order:

- **Verdict.** Each message is parsed with ``readings`` as judged at its Kafka record
  timestamp (``SentMessage.judged_at_ms``, the clock of ``future_timestamp``: the broker's, as
  the readings topic stamps ``LogAppendTime``). A valid reading
  is located with ``geo.RegionIndex``; outside every region it is rejected ``outside_france``.
  Every rejection is an expected record of ``sensor.readings.rejected``, in order.
- **Watermark.** At each message, the watermark is the highest event time offered by the
  messages of its Kafka partition so far, itself included, minus the out-of-orderness
  (default 30 s); there is none before any. A message offers its ``timestamp`` when that
  parses and lies in the accepted range (from the earliest accepted year, not a
  ``future_timestamp``), whatever else is wrong with the message; like the
  job's SQL source, the time is truncated to the second, and text that is not strict JSON
  (``NaN``, ``Infinity``) offers nothing.
- **Too late.** A located reading is too late when there is a watermark and its event time,
  or that of the winning version of the same id, is older than watermark minus the allowed
  lateness (default 3 h). It becomes an expected record of ``sensor.readings.late`` and
  changes nothing.
- **Versions.** Otherwise the reading becomes its id's winning version: a correction moves
  the value from the old (hour, region) to the new one; an exact duplicate changes nothing.
  Ids are remembered forever (tests avoid corrections the job may already have forgotten).
- **Rows.** For each (UTC hour start, region) holding at least one winning version: the
  exact mean (``math.fsum``) of their temperatures, their count, and the mean of
  (hour - 3 h, region) or None when that row does not exist. No row for a count of zero.

The job judges lateness the same way (``partition_watermarks``), in offset order and from
checkpointed state, so its verdicts do not depend on timing, restarts or replays.
"""

from oracle.expected_outcome import expected_outcome
from oracle.outcome import ExpectedLate, ExpectedOutcome, ExpectedRow, SentMessage
from oracle.table_diff import diff_tables

__all__ = [
    "ExpectedLate",
    "ExpectedOutcome",
    "ExpectedRow",
    "SentMessage",
    "diff_tables",
    "expected_outcome",
]
