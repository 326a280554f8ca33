"""A host's status at a glance, from its last report and its open faults."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.store.faults import FaultView
from collector.store.inventory import Host

#: Severity order; an unknown severity string ranks lowest rather than breaking the page.
SEVERITY_RANK = {"minor": 1, "major": 2, "critical": 3}


@dataclass(frozen=True)
class HostStatus:
    label: str  # what the badge says: "ok", "silent", "critical", "no reports yet"...
    level: str  # how it is drawn: ok, warn, bad, unknown
    open_faults: int
    late: bool


def worst_severity(faults: Iterable[FaultView]) -> str | None:
    severities = [fault.severity for fault in faults]
    return max(severities, key=lambda s: SEVERITY_RANK.get(s, 0), default=None)


def is_late(host: Host, now: datetime, missed_intervals: int) -> bool:
    """Late once it has missed as many reports as the heartbeat fault allows."""
    if host.last_seen_at is None:
        return True
    return now - host.last_seen_at > timedelta(seconds=host.interval_s * missed_intervals)


def host_status(
    host: Host, open_faults: list[FaultView], now: datetime, missed_intervals: int
) -> HostStatus:
    """Critical beats silent beats lesser faults: the badge shows the most urgent thing.

    A silent host ranks above a major fault because nothing else about it can be trusted.
    """
    worst, late = worst_severity(open_faults), is_late(host, now, missed_intervals)
    count = len(open_faults)
    if worst == "critical":
        return HostStatus("critical", "bad", count, late)
    if late and host.last_seen_at is not None:
        return HostStatus("silent", "bad", count, late)
    if worst is not None:
        return HostStatus(worst, "warn", count, late)
    if late:
        return HostStatus("no reports yet", "unknown", count, late)
    return HostStatus("ok", "ok", count, late)


def customer_level(statuses: Iterable[HostStatus]) -> str:
    """The worst level among a customer's hosts."""
    order = {"ok": 0, "unknown": 1, "warn": 2, "bad": 3}
    return max((s.level for s in statuses), key=order.__getitem__, default="ok")
