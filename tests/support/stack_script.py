"""``scripts/stack.sh``, run by the tests that start, check or stop the local services."""

from __future__ import annotations

import subprocess
from pathlib import Path

STACK = Path(__file__).resolve().parents[2] / "scripts" / "stack.sh"


def stack_command(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, check=check, timeout=600
    )
