"""CPU time of each kind of process of the local stack, read from /proc (Linux).

On a 2-core machine every service competes for the same cores, so the busy time of Flink's
tasks says which task waits, not what costs: the CPU seconds each process spends do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# A substring of the command line -> the role the benchmarks report.
ROLES = {
    "TaskManagerRunner": "Flink TaskManager (JVM)",
    "pyflink.fn_execution": "Python workers",
    "kafka.Kafka": "Kafka broker",
    "CassandraDaemon": "Cassandra",
    "StandaloneSessionClusterEntrypoint": "Flink JobManager",
}
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
# The JVM's JIT compiler threads, by their names as /proc cuts them (15 characters).
COMPILER_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def role_of(command_line: str) -> str | None:
    return next((role for marker, role in ROLES.items() if marker in command_line), None)


def stat_cpu_seconds(stat: Path) -> float:
    """User + system CPU seconds of a process's or a thread's ``stat`` file."""
    # The command name in field 2 may hold spaces; the fields after its ")" are fixed.
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def command_line(process: Path) -> str:
    return (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def role_processes(proc: Path = Path("/proc")) -> Iterator[tuple[Path, str]]:
    """The directory and role of each live process of a known role."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            role = role_of(command_line(entry))
        except OSError:  # the process ended while being read
            continue
        if role is not None:
            yield entry, role


def cpu_seconds_by_role(proc: Path = Path("/proc")) -> dict[str, float]:
    """User + system CPU seconds so far of the live processes of each role."""
    totals: dict[str, float] = dict.fromkeys(ROLES.values(), 0.0)
    for entry, role in role_processes(proc):
        try:
            totals[role] += stat_cpu_seconds(entry / "stat")
        except OSError:
            continue
    return totals


def taskmanager_jit_seconds(proc: Path = Path("/proc")) -> float:
    """CPU seconds so far of the TaskManagers' JIT compiler threads, a part of their JVM's CPU: the
    code of each job is compiled while it runs, and that competes with the job for the cores."""
    total = 0.0
    for entry, role in role_processes(proc):
        if role != ROLES["TaskManagerRunner"]:
            continue
        try:
            for thread in (entry / "task").iterdir():
                if (thread / "comm").read_text().strip() in COMPILER_THREADS:
                    total += stat_cpu_seconds(thread / "stat")
        except OSError:
            continue
    return total


def spent_since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two readings; processes started in between count from zero."""
    return {role: after[role] - before.get(role, 0.0) for role in after}
