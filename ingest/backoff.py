"""How long to wait before the next try after consecutive failures."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": at least half the step, so it really backs off,
    and a random other half, so clients that failed together do not retry together."""

    base_seconds: float = 0.5
    max_seconds: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 for the first)."""
        step = min(self.max_seconds, self.base_seconds * 2.0 ** min(max(failures, 1) - 1, 62))
        return self.rng.uniform(step / 2, step)
