"""Entering a named network namespace (``ip netns``) from this process, and leaving it.

The compose topology publishes its ports on 127.0.0.1 inside the namespace scripts/containers.sh
makes; a test that enters it talks to Kafka, Cassandra and Flink there as a host tool would,
while the host's own 127.0.0.1 (the local stack of other checkouts) stays out of reach.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLONE_NEWNET = 0x40000000


def _setns(descriptor: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(descriptor, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


@contextmanager
def inside(name: str) -> Iterator[None]:
    """This thread, and the threads it starts meanwhile (Kafka and Cassandra clients), in ``name``."""
    with open("/proc/self/ns/net", "rb") as home, open(Path("/run/netns") / name, "rb") as target:
        _setns(target.fileno())
        try:
            yield
        finally:
            _setns(home.fileno())
