"""The CPU accounting of the benchmarks, on a fake /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.process_cpu import TICKS_PER_SECOND, cpu_seconds_by_role, role_of, spent_since, taskmanager_jit_seconds


def fake_process(proc: Path, pid: int, command: list[str], utime: int, stime: int, name: str = "java") -> None:
    entry = proc / str(pid)
    entry.mkdir()
    (entry / "cmdline").write_bytes(b"\0".join(part.encode() for part in command) + b"\0")
    fields = ["S", "1", *["0"] * 9, str(utime), str(stime), *["0"] * 30]
    (entry / "stat").write_text(f"{pid} ({name}) {' '.join(fields)}\n")


@pytest.mark.parametrize(
    ("command", "role"),
    [
        ("java -cp x org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir c", "Flink TaskManager (JVM)"),
        ("/v/bin/python -m pyflink.fn_execution.beam.beam_boot --id=1-1", "Python workers"),
        ("java -Xmx1g kafka.Kafka server.properties", "Kafka broker"),
        ("java org.apache.cassandra.service.CassandraDaemon", "Cassandra"),
        ("bash", None),
    ],
)
def test_processes_are_told_apart_by_their_command_line(command: str, role: str | None) -> None:
    assert role_of(command) == role


def test_cpu_is_summed_per_role_and_differenced(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, ["python", "-m", "pyflink.fn_execution.beam.beam_boot"], 2 * TICKS_PER_SECOND, TICKS_PER_SECOND,
                 "py thon) x")
    fake_process(tmp_path, 11, ["python", "-m", "pyflink.fn_execution.beam.beam_boot"], TICKS_PER_SECOND, 0)
    fake_process(tmp_path, 12, ["sleep", "1"], 50 * TICKS_PER_SECOND, 0)
    (tmp_path / "self").mkdir()
    before = cpu_seconds_by_role(tmp_path)
    assert before["Python workers"] == pytest.approx(4.0)
    assert before["Kafka broker"] == 0.0
    fake_process(tmp_path, 13, ["java", "kafka.Kafka"], 3 * TICKS_PER_SECOND, 0)
    assert spent_since(before, cpu_seconds_by_role(tmp_path))["Kafka broker"] == pytest.approx(3.0)


def fake_thread(proc: Path, pid: int, tid: int, name: str, ticks: int) -> None:
    thread = proc / str(pid) / "task" / str(tid)
    thread.mkdir(parents=True)
    (thread / "comm").write_text(f"{name}\n")
    (thread / "stat").write_text(f"{tid} ({name}) {' '.join(['S', '1', *['0'] * 9, str(ticks), '0', *['0'] * 30])}\n")


def test_the_jit_compilers_of_taskmanagers_only_are_counted(tmp_path: Path) -> None:
    fake_process(tmp_path, 20, ["java", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"], 9 * TICKS_PER_SECOND, 0)
    fake_thread(tmp_path, 20, 21, "C2 CompilerThre", 2 * TICKS_PER_SECOND)
    fake_thread(tmp_path, 20, 22, "C1 CompilerThre", TICKS_PER_SECOND)
    fake_thread(tmp_path, 20, 23, "Source: sensor_", 5 * TICKS_PER_SECOND)
    fake_process(tmp_path, 30, ["java", "kafka.Kafka"], 4 * TICKS_PER_SECOND, 0)
    fake_thread(tmp_path, 30, 31, "C2 CompilerThre", 4 * TICKS_PER_SECOND)
    assert taskmanager_jit_seconds(tmp_path) == pytest.approx(3.0)
