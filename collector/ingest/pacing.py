"""A host sending far more often than its interval is told to slow down (429).

Each host has a bucket of ``burst`` reports, refilled at ``per_interval`` reports per
reporting interval (the interval the host's own signed reports declare, at least
``MIN_INTERVAL_S``). An agent replaying its spool after an outage sends a burst and then
keeps to the pace; one looping, or someone replaying a captured request, is held to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: Reports a host may send at once: two hours of a 60 s agent's spool, replayed.
BURST = 120
#: Sustained reports per interval before 429: ten times what a well-behaved agent sends.
PER_INTERVAL = 10
#: A declared interval shorter than this paces as this.
MIN_INTERVAL_S = 1.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class HostPacing:
    """Per-host token buckets; :meth:`admit` says whether one more report fits, and if
    not, after how many seconds it would."""

    def __init__(
        self,
        burst: int = BURST,
        per_interval: int = PER_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._per_interval = per_interval
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, host_id: str, interval_s: float) -> float | None:
        """None when the report is within the host's pace, else the seconds to wait."""
        now = self._clock()
        rate = self._per_interval / max(interval_s, MIN_INTERVAL_S)
        bucket = self._buckets.setdefault(host_id, _Bucket(self._burst, now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / rate
