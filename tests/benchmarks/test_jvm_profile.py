"""The summary of a JFR profile, on text shaped like ``jfr print --events jdk.ExecutionSample``."""

from __future__ import annotations

from jvm_profile import summary

PRINTED = """
jdk.ExecutionSample {
  startTime = 04:17:01.100
  sampledThread = "Source: sensor_readings[1] -> Calc[2] (1/2)#0" (javaThreadId = 81)
  state = "STATE_RUNNABLE"
  stackTrace = [
    com.fasterxml.jackson.core.json.ReaderBasedJsonParser._parseName(int) line: 1
    org.apache.flink.table.runtime.functions.SqlJsonUtils.jsonValue(String, String) line: 2
  ]
}

jdk.ExecutionSample {
  sampledThread = "Source: sensor_readings[1] -> Calc[2] (2/2)#0" (javaThreadId = 82)
  stackTrace = [
    com.fasterxml.jackson.core.json.ReaderBasedJsonParser._parseName(int) line: 1
  ]
}

jdk.ExecutionSample {
  sampledThread = "versions by id (1/2)#0" (javaThreadId = 90)
  stackTrace = [
    org.rocksdb.RocksDB.get(long, byte[]) line: 3
  ]
}
"""


def test_samples_are_shared_by_task_and_by_top_frame() -> None:
    lines = summary(PRINTED)
    assert lines[0] == "3 samples; by thread:"
    assert "   66.7%  Source: sensor_readings[N] -> Calc[N] (N/N)#N" in lines
    assert "   33.3%  versions by id (N/N)#N" in lines
    assert lines[lines.index("by top frame:") + 1] == "   66.7%  com.fasterxml.jackson.core.json.ReaderBasedJsonParser._parseName"


def test_each_busy_thread_is_split_by_kind_of_work() -> None:
    lines = summary(PRINTED)
    source = lines.index("by kind of work, Source: sensor_readings[N] -> Calc[N] (N/N)#N:")
    assert lines[source + 1] == "  100.0%  JSON (Jackson)"
    versions = lines.index("by kind of work, versions by id (N/N)#N:")
    assert lines[versions + 1] == "  100.0%  RocksDB"
