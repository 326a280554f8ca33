"""A host's status at a glance, from its last report and its open faults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Severity order; an unknown severity string ranks lowest rather than breaking the page.
SEVERITY_RANK = {"minor": 1, "major": 2, "critical": 3}


@dataclass(frozen=True)
class HostStatus:
    label: str  # what the badge says: "ok", "silent", "critical", "no reports yet"...
    level: str  # how it is drawn: ok, warn, bad, unknown
    open_faults: int
    late: bool


def worst_severity(severities: Iterable[str]) -> str | None:
    return max(severities, key=lambda s: SEVERITY_RANK.get(s, 0), default=None)


def is_late(
    last_seen_at: datetime | None, interval_s: float, now: datetime, missed_intervals: int
) -> bool:
    """Late once it has missed as many reports as the heartbeat fault allows."""
    if last_seen_at is None:
        return True
    return now - last_seen_at > timedelta(seconds=interval_s * missed_intervals)


def host_status(
    last_seen_at: datetime | None,
    interval_s: float,
    open_severities: Sequence[str],
    now: datetime,
    missed_intervals: int,
) -> HostStatus:
    """Critical beats silent beats lesser faults: the badge shows the most urgent thing.

    A silent host ranks above a major fault because nothing else about it can be trusted.
    """
    worst = worst_severity(open_severities) if open_severities else None
    late = is_late(last_seen_at, interval_s, now, missed_intervals)
    count = len(open_severities)
    if worst == "critical":
        return HostStatus("critical", "bad", count, late)
    if late and last_seen_at is not None:
        return HostStatus("silent", "bad", count, late)
    if worst is not None:
        return HostStatus(worst, "warn", count, late)
    if late:
        return HostStatus("no reports yet", "unknown", count, late)
    return HostStatus("ok", "ok", count, late)


def level_of_severity(severity: str | None) -> str:
    """How a fault not tied to one host (a whole site) colours its customer."""
    if severity is None:
        return "ok"
    return "bad" if severity == "critical" else "warn"


def worst_level(levels: Iterable[str]) -> str:
    """The worst of several levels; "ok" for none."""
    order = {"ok": 0, "unknown": 1, "warn": 2, "bad": 3}
    return max(levels, key=order.__getitem__, default="ok")
