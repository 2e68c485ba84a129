"""CPU time of each kind of process of the local stack, read from /proc (Linux).

On a 2-core machine every service competes for the same cores, so the busy time of Flink's
tasks says which task waits, not what costs: the CPU seconds each process spends do.
"""

from __future__ import annotations

import os
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


def role_of(command_line: str) -> str | None:
    return next((role for marker, role in ROLES.items() if marker in command_line), None)


def cpu_seconds_by_role(proc: Path = Path("/proc")) -> dict[str, float]:
    """User + system CPU seconds so far of the live processes of each role."""
    totals: dict[str, float] = dict.fromkeys(ROLES.values(), 0.0)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            role = role_of((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            if role is None:
                continue
            # The command name in field 2 may hold spaces; the fields after its ")" are fixed.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        utime, stime = int(fields[11]), int(fields[12])
        totals[role] += (utime + stime) / TICKS_PER_SECOND
    return totals


def spent_since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two readings; processes started in between count from zero."""
    return {role: after[role] - before.get(role, 0.0) for role in after}
