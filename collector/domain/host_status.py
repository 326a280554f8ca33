"""A host's status at a glance: from its agent's last report and its open faults, or for a host
with no agent, from what watches it (SNMP polls and traps, remote checks) and its open faults.

The one judgement every page and API showing a host's state makes (overview, host and customer
pages, the portal and its API), so that none of them calls a watched Mitel silent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from collector.domain.rules import AGENTLESS_KINDS

#: Severity order; an unknown severity string ranks lowest rather than breaking the page.
SEVERITY_RANK = {"minor": 1, "major": 2, "critical": 3}


class WatchedHost(Protocol):
    """What the status reads of a host (``collector.store.inventory.Host``)."""

    @property
    def kind(self) -> str: ...
    @property
    def last_seen_at(self) -> datetime | None: ...
    @property
    def heartbeat_interval_s(self) -> float: ...


@dataclass(frozen=True)
class HostStatus:
    label: str  # what the badge says: "ok", "silent", "critical", "no reports yet"...
    level: str  # how it is drawn: ok, warn, bad, unknown
    open_faults: int
    #: Not heard from in time: an agent's reports overdue, or a host with no agent not yet
    #: polled (its watchers' verdicts are its faults, so it is never overdue).
    late: bool
    #: It has no agent (``AGENTLESS_KINDS``): watched from outside, over SNMP.
    agentless: bool = False


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
    host: WatchedHost,
    watched_at: datetime | None,
    open_severities: Sequence[str],
    now: datetime,
    missed_intervals: int,
) -> HostStatus:
    """Critical beats silent beats lesser faults: the badge shows the most urgent thing.

    A silent host ranks above a major fault because nothing else about it can be trusted.
    A host with no agent has no reports to miss: ``watched_at`` (when its SNMP polls, traps or
    remote checks last had their say; ignored for an agent's host) only tells whether it has
    been watched yet. A poll unanswered or a check failing is a fault (``remote.*``, host down),
    so its faults say the rest.
    """
    agentless = host.kind in AGENTLESS_KINDS
    if agentless:
        heard, late = watched_at, watched_at is None
    else:
        heard = host.last_seen_at
        late = is_late(heard, host.heartbeat_interval_s, now, missed_intervals)
    worst = worst_severity(open_severities) if open_severities else None
    count = len(open_severities)
    if worst == "critical":
        return HostStatus("critical", "bad", count, late, agentless)
    if late and heard is not None:
        return HostStatus("silent", "bad", count, late, agentless)
    if worst is not None:
        return HostStatus(worst, "warn", count, late, agentless)
    if late:
        return HostStatus("no reports yet", "unknown", count, late, agentless)
    return HostStatus("ok", "ok", count, late, agentless)


def level_of_severity(severity: str | None) -> str:
    """How a fault not tied to one host (a whole site) colours its customer."""
    if severity is None:
        return "ok"
    return "bad" if severity == "critical" else "warn"


def worst_level(levels: Iterable[str]) -> str:
    """The worst of several levels; "ok" for none."""
    order = {"ok": 0, "unknown": 1, "warn": 2, "bad": 3}
    return max(levels, key=order.__getitem__, default="ok")
