"""A sampling profile of the TaskManager's JVM during a benchmark (JDK Flight Recorder).

``jcmd <pid> JFR.start`` records execution samples for a while; ``jfr print`` reads them back;
the summary is the share of samples per thread (one thread per Flink task) and per top frame.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

_EVENT = re.compile(r"jdk\.ExecutionSample")
_THREAD = re.compile(r'sampledThread = "([^"]*)"')
_FRAME = re.compile(r"^\s+([\w$.<>/]+)\(", re.M)


def taskmanager_pid() -> int:
    found = subprocess.run(["pgrep", "-f", "TaskManagerRunner"], capture_output=True, text=True).stdout.split()
    if not found:
        raise RuntimeError("no TaskManager is running")
    return int(found[0])


def record(seconds: float, pid: int | None = None) -> str:
    """Record ``seconds`` of execution samples of the TaskManager; the ``jfr print`` text."""
    path = Path(tempfile.mkdtemp()) / "taskmanager.jfr"
    subprocess.run(["jcmd", str(pid or taskmanager_pid()), "JFR.start", f"duration={seconds:.0f}s",
                    f"filename={path}", "settings=profile"], check=True, capture_output=True)
    time.sleep(seconds)
    deadline = time.monotonic() + 60
    while True:  # the recording is complete on disk a moment after it ends
        time.sleep(2)
        printed = subprocess.run(["jfr", "print", "--stack-depth", "80", "--events", "jdk.ExecutionSample", str(path)],
                                 capture_output=True, text=True)
        if printed.returncode == 0 or time.monotonic() > deadline:
            printed.check_returncode()
            return printed.stdout


# Kinds of work, each known by frames that only it runs; a sample counts for the innermost kind on its stack.
KINDS = {
    "event-time function": ("ReadingEventTime",),
    "Row/RowData conversion": ("RowRowConverter", "DataStructureConverter", "InputConversionOperator",
                               "OutputConversionOperator"),
    "network output": ("RecordWriter.emit", "RecordWriterOutput"),
    "Arrow to and from Python": ("arrow.",),
    "Python bundles (gRPC)": ("beam", "grpc", "invokeFinishBundle"),
    "RocksDB": ("rocksdb", "RocksDB"),
    "timers": ("InternalTimerServiceImpl", "registerEventTimeTimer"),
    "Kafka fetch": ("kafka.shaded",),
    "JSON (Jackson)": ("jackson",),
    "serializers and copies": ("Serializer",),
    "aggregation": ("GroupAgg", "AggsHandler"),
    "generated code": ("StreamExec",),
}


def kind_of(stack: list[str]) -> str:
    for frame in stack:  # innermost first
        for kind, marks in KINDS.items():
            if any(mark in frame for mark in marks):
                return kind
    return "other"


def summary(printed: str, top: int = 12) -> list[str]:
    """Lines: the share of samples per thread (task names without subtask numbers), per top frame,
    and, for each of the busiest threads, per kind of work (``KINDS``)."""
    threads: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    for event in _EVENT.split(printed)[1:]:
        stack = _FRAME.findall(event)
        if not stack:
            continue
        thread = _THREAD.search(event)
        name = re.sub(r"\d+", "N", thread.group(1))[:90] if thread else "?"
        threads[name] += 1
        frames[stack[0]] += 1
        kinds.setdefault(name, Counter())[kind_of(stack)] += 1
    total = sum(threads.values()) or 1
    lines = [f"{total:,} samples; by thread:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in threads.most_common(top)]
    lines.append("by top frame:")
    lines += [f"  {count / total:6.1%}  {name}" for name, count in frames.most_common(top)]
    for name, count in threads.most_common(2):
        lines.append(f"by kind of work, {name[:60]}:")
        lines += [f"  {share / count:6.1%}  {kind}" for kind, share in kinds[name].most_common()]
    return lines
