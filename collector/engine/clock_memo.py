"""Calendar maths kept for inputs seen before: the SLA sweep, simulate's deadlines and every
incident step work out the same incidents' clocks again and again, and nothing they depend on
changes between two of them but the pauses (an outage still going ends at ``now``).

Both functions kept here are pure: their results depend only on their arguments, all
immutable. A tier or calendar is keyed by identity (hashing one walks all its hours) and kept
in the entry with the result, so an entry is only ever found for the very object it was
worked out for. Entries are dropped all at once when there are ``KEPT`` of them. Moments are
keyed as instants: the store gives them all in UTC, so a clock kept names its start as the
caller's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from collector.domain.calendar import BusinessCalendar, Pause
from collector.domain.sla import TargetClock, alert_times, target_clocks
from collector.domain.tiers import Tier

KEPT = 4096
K = TypeVar("K")
V = TypeVar("V")

#: Tier (by id), severity, start, pauses, visit requested, failure confirmed, region, zone.
_ClockKey = tuple[int, str, datetime, tuple[Pause, ...], object, object, str, str | None]
_AlertKey = tuple[int, datetime, datetime, float, tuple[Pause, ...]]
_CLOCKS: dict[_ClockKey, tuple[Tier, dict[str, TargetClock]]] = {}
_ALERTS: dict[_AlertKey, tuple[BusinessCalendar, tuple[datetime, datetime]]] = {}


def clocks_of(
    tier: Tier,
    severity: str,
    start: datetime,
    pauses: Sequence[Pause],
    *,
    onsite_requested_at: datetime | None,
    failure_confirmed_at: datetime | None,
    region: str,
    local_zone: str | None,
) -> dict[str, TargetClock]:
    """``collector.domain.sla.target_clocks``, each worked out once (a new dict each call)."""
    paused = tuple(pauses)
    key = (id(tier), severity, start, paused, onsite_requested_at, failure_confirmed_at,
           region, local_zone)  # fmt: skip
    kept = _CLOCKS.get(key)
    if kept is None or kept[0] is not tier:
        clocks = target_clocks(
            tier, severity, start, pauses=paused, onsite_requested_at=onsite_requested_at,
            failure_confirmed_at=failure_confirmed_at, region=region, local_zone=local_zone,
        )  # fmt: skip
        kept = _keep(_CLOCKS, key, (tier, clocks))
    return dict(kept[1])


def alerts_of(
    calendar: BusinessCalendar,
    starts_at: datetime,
    due: datetime,
    *,
    fraction: float,
    pauses: Sequence[Pause],
) -> tuple[datetime, datetime]:
    """``collector.domain.sla.alert_times`` (when to warn, when breached), each worked out
    once."""
    paused = tuple(pauses)
    key = (id(calendar), starts_at, due, fraction, paused)
    kept = _ALERTS.get(key)
    if kept is None or kept[0] is not calendar:
        times = alert_times(calendar, starts_at, due, fraction=fraction, pauses=paused)
        kept = _keep(_ALERTS, key, (calendar, times))
    return kept[1]


def _keep(memo: dict[K, V], key: K, value: V) -> V:
    if len(memo) >= KEPT:
        memo.clear()
    memo[key] = value
    return value
