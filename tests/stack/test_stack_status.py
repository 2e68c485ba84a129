"""``scripts/stack.sh status`` tells the truth: a stopped service shows as down, then up again."""

from __future__ import annotations

import pytest

from settings import Settings
from tests.support.stack_script import stack_command

pytestmark = pytest.mark.services


def service_states() -> dict[str, str]:
    result = stack_command("status", check=False)
    return {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}


def test_status_reports_a_stopped_service(stack: Settings) -> None:
    assert service_states() == {"monitoring": "up", "kafka": "up", "cassandra": "up", "flink": "up"}
    stack_command("down", "kafka")
    try:
        assert service_states()["kafka"] == "down"
        assert stack_command("status", check=False).returncode == 1
    finally:
        stack_command("up", "kafka")
    assert service_states()["kafka"] == "up"


def test_up_twice_is_harmless(stack: Settings) -> None:
    result = stack_command("up")
    assert "already running" in result.stderr
    assert service_states() == {"monitoring": "up", "kafka": "up", "cassandra": "up", "flink": "up"}


def test_status_shows_each_service_resident_memory(stack: Settings) -> None:
    """The memory figures of docs/local-stack.md come from this column."""
    lines = stack_command("status", check=False).stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        name, state, megabytes, unit, _ = line.split()
        assert (state, unit) == ("up", "MB") and int(megabytes) > 50, line
