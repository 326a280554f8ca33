"""The overview's triage: hosts that need someone first, grouped by customer and severity;
every customer after, folded, with its counts; search and filters over both.

Pure: the overview reads the facts (``dashboard.views``) and this arranges them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from collector.domain.host_status import SEVERITY_RANK, HostStatus
from collector.domain.rules import HOST_KINDS
from collector.store.faults import FaultView
from collector.store.inventory import Host

#: How urgent a host's state is: a silent host ranks between critical and major, as its badge.
URGENCY = {"critical": 4, "silent": 3, "major": 2, "minor": 1}
#: The ``state`` filter's choices, with what each keeps.
STATES = {
    "problem": "open faults or silent",
    "silent": "silent",
    "maintenance": "in maintenance",
    "ok": "ok",
    "waiting": "no reports yet",
}
KINDS = HOST_KINDS


@dataclass(frozen=True)
class Filters:
    q: str = ""
    tier: str = ""
    kind: str = ""
    state: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str], tiers: Iterable[str]) -> Filters:
        """What the query asks for; an unknown tier, kind or state is ignored, not an error."""
        tier, kind, state = query.get("tier", ""), query.get("kind", ""), query.get("state", "")
        return cls(
            q=query.get("q", "").strip()[:100],
            tier=tier if tier in set(tiers) else "",
            kind=kind if kind in KINDS else "",
            state=state if state in STATES else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.tier or self.kind or self.state)


@dataclass(frozen=True)
class TriageHost:
    host: Host
    customer_name: str
    tier: str | None
    status: HostStatus
    in_maintenance: bool
    #: Addresses the collector reaches it at (its remote checks' targets), for search.
    targets: tuple[str, ...] = ()

    @property
    def urgency(self) -> int:
        return URGENCY.get(self.status.label, 0)

    @property
    def is_problem(self) -> bool:
        return self.status.level in ("bad", "warn")

    def state_is(self, state: str) -> bool:
        return {
            "problem": self.is_problem,
            "silent": self.status.label == "silent",
            "maintenance": self.in_maintenance,
            "ok": self.status.label == "ok",
            "waiting": self.status.label == "no reports yet",
        }.get(state, True)

    def matches(self, filters: Filters) -> bool:
        if filters.tier and self.tier != filters.tier:
            return False
        if filters.kind and self.host.kind != filters.kind:
            return False
        if filters.state and not self.state_is(filters.state):
            return False
        if filters.q:
            needle = filters.q.casefold()
            words = (self.host.id, self.host.name, self.host.customer_id, self.customer_name)
            return any(needle in text.casefold() for text in (*words, *self.targets))
        return True


@dataclass
class CustomerGroup:
    id: str
    name: str
    tier: str | None
    hosts: list[TriageHost] = field(default_factory=list)
    site_faults: list[FaultView] = field(default_factory=list)
    #: Hosts not read because they are certainly ok (the unfiltered overview counts them).
    quiet: int = 0

    @property
    def host_count(self) -> int:
        return len(self.hosts) + self.quiet

    @cached_property
    def urgency(self) -> int:
        """Read once its hosts and site faults are in (``triage`` fills it, then sorts)."""
        site = max((SEVERITY_RANK.get(f.severity, 0) for f in self.site_faults), default=0)
        site_urgency = 4 if site == 3 else site
        return max([site_urgency, *(h.urgency for h in self.hosts)], default=0)

    @cached_property
    def counts(self) -> list[tuple[str, int]]:
        """How many hosts in each state, the most urgent first."""
        found = Counter(h.status.label for h in self.hosts)
        found["ok"] += self.quiet
        found = +found  # no zero counts
        return sorted(found.items(), key=lambda item: (-URGENCY.get(item[0], 0), item[0]))


@dataclass(frozen=True)
class Triage:
    problems: list[CustomerGroup]
    customers: list[CustomerGroup]
    shown: int  # hosts that pass the filters
    total: int


def triage(
    hosts: Iterable[TriageHost],
    customers: Iterable[tuple[str, str, str | None]],
    site_faults: Iterable[FaultView],
    filters: Filters,
    quiet: Mapping[str, int] | None = None,
    fleet: int | None = None,
) -> Triage:
    """Problems first (customers by their most urgent host, then name; hosts by urgency),
    then every customer with a host that passes the filters. ``quiet``: per customer, hosts
    left out of ``hosts`` as certainly ok (only when no filter is active). ``fleet``: how
    many hosts there are, when ``hosts`` holds only those that may pass the filters."""
    quiet = quiet or {}
    groups = {
        cid: CustomerGroup(cid, name, tier, quiet=quiet.get(cid, 0))
        for cid, name, tier in customers
    }
    problems: dict[str, CustomerGroup] = {}
    total, shown = sum(quiet.values()), sum(quiet.values())
    for row in hosts:
        total += 1
        if not row.matches(filters) or row.host.customer_id not in groups:
            continue
        shown += 1
        groups[row.host.customer_id].hosts.append(row)
        if row.is_problem:
            group = groups[row.host.customer_id]
            problems.setdefault(group.id, CustomerGroup(group.id, group.name, group.tier))
            problems[group.id].hosts.append(row)
    for fault in site_faults:
        owner = groups.get(fault.customer_id)
        if owner is None or not _customer_matches(owner, filters):
            continue
        owner.site_faults.append(fault)
        problems.setdefault(owner.id, CustomerGroup(owner.id, owner.name, owner.tier))
        problems[owner.id].site_faults.append(fault)
    for group in problems.values():
        group.hosts.sort(key=lambda h: (-h.urgency, h.host.name))
    ordered = sorted(problems.values(), key=lambda g: (-g.urgency, g.name.casefold()))
    listed = [g for g in groups.values() if g.host_count or g.site_faults or not filters.active]
    return Triage(ordered, listed, shown, total if fleet is None else fleet)


def _customer_matches(group: CustomerGroup, filters: Filters) -> bool:
    if filters.tier and group.tier != filters.tier:
        return False
    if filters.q:
        needle = filters.q.casefold()
        return needle in group.id.casefold() or needle in group.name.casefold()
    return filters.state in ("", "problem")
