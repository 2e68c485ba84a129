"""How long to wait before the next try after consecutive failures."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": at least half the step, so it really backs off,
    and a random other half, so clients that failed together do not retry together.

    Every wait lies between ``min_seconds`` and ``max_seconds`` (the floor wins if they cross),
    whatever a server asks for: no answer can make the caller loop tight or sleep for days.
    """

    base_seconds: float = 0.5
    max_seconds: float = 60.0
    min_seconds: float = 0.25
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int, at_least: float | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 for the first), and at least
        ``at_least`` (a server's Retry-After) as far as ``max_seconds`` allows."""
        step = min(self.max_seconds, self.base_seconds * 2.0 ** min(max(failures, 1) - 1, 62))
        wait = self.rng.uniform(step / 2, step)
        if at_least is not None:
            wait = max(wait, min(at_least, self.max_seconds))
        return max(self.min_seconds, wait)
