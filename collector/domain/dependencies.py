"""Dependencies between faults: one outage, one fault, one mail.

From the checks currently failing on every host of a customer, decide which faults explain
others. The explained faults stay recorded but are *suppressed* (not mailed, no reminders);
the explanations may be *derived* faults of their own::

    a rule's cause failing      its rule set (collector.domain.dependency_rules, configured per
                                host kind, customer and host) explains the checks it names,
                                e.g. the Asterisk process down explains AMI, its ports, SIP,
                                trunks and endpoints; each is credited to its root cause
    remote access all failing   host.down: agent silent too → "host down", else "unreachable"
                                (unless every failing remote check is explained by a rule: the
                                Asterisk process down is not the host down); explains the
                                remote.*/cert.*/ssh.* faults, and when the agent is silent too,
                                every other fault of the host
    every host of a site down   site.down[:<site>]: explains their host.down faults and what
                                those would explain

The assessment is a pure function of the current facts, recomputed whenever they change;
``reconcile_derived`` turns it into decisions on the derived faults' rows, and the store sets
each open fault's ``suppressed_by`` from ``DependencyOutcome.suppressed_by``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from collector.domain.dependency_rules import RuleSet
from collector.domain.faults import DecisionKind, FaultDecision, FaultKey, FaultState, with_mail
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Severity
from collector.domain.rules import HEARTBEAT
from collector.domain.watches import WatchState

HOST_DOWN = "host.down"
#: How a host.down fault's detail starts while the host's agent still reports.
UNREACHABLE = "host unreachable from the vendor"
SITE_DOWN = "site.down"
REMOTE_PREFIX = "remote."
_VENDOR_SIDE = ("remote.", "cert.", "ssh.")  # what the collector probes from outside


@dataclass(frozen=True)
class HostFacts:
    """What dependencies need to know about one host: its checks and which are failing."""

    host_id: str
    customer_id: str
    site: str | None = None
    checks: frozenset[str] = frozenset()
    failing: frozenset[str] = frozenset()  # checks whose fault is raised
    rules: RuleSet = field(default_factory=RuleSet)  # which of its checks explain which

    @cached_property
    def explained(self) -> dict[str, str]:
        """Failing check → the failing check at the root of the rules that explain it."""
        return self.rules.roots(self.failing)

    @property
    def unreachable(self) -> bool:
        """Every remote-access check fails (and there is at least one), and that is not all
        explained by a service of the host: its agent is silent, or some failure is not."""
        if not self.failing:  # the usual host: nothing fails, so nothing can be unreachable
            return False
        remote = {key for key in self.checks | self.failing if key.startswith(REMOTE_PREFIX)}
        if not remote or not remote <= self.failing:
            return False
        return self.silent or any(key not in self.explained for key in remote)

    @property
    def silent(self) -> bool:
        return HEARTBEAT in self.failing

    @property
    def down(self) -> bool:
        """Down as far as anyone can tell: unreachable, or silent with nothing to probe."""
        if not self.failing:
            return False
        has_remote = any(key.startswith(REMOTE_PREFIX) for key in self.checks | self.failing)
        return self.unreachable or (self.silent and not has_remote)

    def key(self, check_key: str) -> FaultKey:
        return FaultKey(self.customer_id, self.host_id, check_key)


def host_facts(
    host_id: str,
    customer_id: str,
    site: str | None,
    states: Iterable[WatchState],
    rules: RuleSet | None = None,
) -> HostFacts:
    """Facts from a host's persisted check states."""
    states = list(states)
    checks = frozenset(state.check_key for state in states)
    failing = frozenset(state.check_key for state in states if state.raised)
    return HostFacts(host_id, customer_id, site, checks, failing, rules or RuleSet())


@dataclass(frozen=True)
class DerivedFault:
    key: FaultKey
    severity: Severity
    detail: str


@dataclass(frozen=True)
class DependencyOutcome:
    derived: tuple[DerivedFault, ...] = ()
    suppressed: Mapping[FaultKey, str] = field(default_factory=dict)

    def suppressed_by(self, key: FaultKey) -> str | None:
        """The check key of the fault that explains ``key``, or None: mail it."""
        return self.suppressed.get(key)


def is_derived(check_key: str) -> bool:
    return check_key == HOST_DOWN or check_key.split(":", 1)[0] == SITE_DOWN


def assess(hosts: Iterable[HostFacts]) -> DependencyOutcome:
    """Derived faults and suppressions for a set of hosts (a customer's, or all of them)."""
    hosts = list(hosts)
    derived: list[DerivedFault] = []
    suppressed: dict[FaultKey, str] = {}
    for host in hosts:
        suppressed.update(_own_suppressions(host))
        if host.unreachable:
            derived.append(_host_down(host))
    for (customer_id, site), members in _sites(hosts).items():
        if not _site_down(members):
            continue
        site_fault = _site_down_fault(customer_id, site, len(members))
        derived.append(site_fault)
        for host in members:
            suppressed.update(_site_suppressions(host, site_fault.key.check_key))
    return DependencyOutcome(tuple(derived), suppressed)


class Assessment:
    """``assess`` over a fixed set of hosts, kept current as their facts change one host at a time.

    Assessing a customer of N hosts afresh for each of N hosts that changes is N² work in an
    outage that takes them all; here a change costs the host's own part, and its site's hosts
    only when the site goes down or comes back. ``take_changes`` names the faults whose wanted
    state may have moved since it was last called, so a caller can bring just those in line.
    """

    def __init__(self, hosts: Iterable[HostFacts]) -> None:
        self._hosts = {host.host_id: host for host in hosts}  # in assess's order
        self._rank = {host_id: rank for rank, host_id in enumerate(self._hosts)}
        groups = _sites(self._hosts.values())
        #: Each site's site.down key (its fault's identity), in the order assess lists sites.
        self._site_key = {site: _site_down_key(*site) for site in groups}
        self._site_rank = {key: rank for rank, key in enumerate(self._site_key.values())}
        self._members = {
            site: [host.host_id for host in members] for site, members in groups.items()
        }
        self._site_of = {host_id: site for site, ids in self._members.items() for host_id in ids}
        self._down = {site: sum(host.down for host in members) for site, members in groups.items()}
        self._suppressed: dict[FaultKey, str] = {}
        self._by_host: dict[str, dict[FaultKey, str]] = {host_id: {} for host_id in self._hosts}
        self._derived: dict[FaultKey, DerivedFault] = {}
        self._changed: set[FaultKey] = set()
        for site in self._members:
            self._refresh_site(site)

    def update(self, host: HostFacts) -> None:
        """``host``'s facts are now these: one of the assessed hosts, same customer and site."""
        before = self._hosts[host.host_id]
        site = self._site_of[host.host_id]
        was_down = self._site_is_down(site)
        self._hosts[host.host_id] = host
        self._down[site] += host.down - before.down
        if self._site_is_down(site) == was_down:
            self._refresh_host(host.host_id)
        else:
            self._refresh_site(site)

    def suppressed_by(self, key: FaultKey) -> str | None:
        return self._suppressed.get(key)

    def derived(self, keys: Collection[FaultKey] | None = None) -> tuple[DerivedFault, ...]:
        """The derived faults (those of ``keys`` only, if given) in the order ``assess`` has."""
        if keys is None:
            return tuple(sorted(self._derived.values(), key=self._position))
        wanted = [self._derived[key] for key in keys if key in self._derived]
        return tuple(sorted(wanted, key=self._position))

    def outcome(self) -> DependencyOutcome:
        """What ``assess`` says of the hosts' current facts."""
        return DependencyOutcome(self.derived(), dict(self._suppressed))

    def take_changes(self) -> set[FaultKey]:
        """Keys whose suppression or derived fault changed since the last call (or ever)."""
        changed, self._changed = self._changed, set()
        return changed

    def _site_is_down(self, site: tuple[str, str | None]) -> bool:
        return len(self._members[site]) >= 2 and self._down[site] == len(self._members[site])

    def _refresh_site(self, site: tuple[str, str | None]) -> None:
        fault = None
        if self._site_is_down(site):
            customer_id, label = site
            fault = _site_down_fault(customer_id, label, len(self._members[site]))
        self._set_derived(self._site_key[site], fault)
        for host_id in self._members[site]:
            self._refresh_host(host_id)

    def _refresh_host(self, host_id: str) -> None:
        host = self._hosts[host_id]
        before = self._by_host[host_id]
        if not host.failing and not before:
            # Nothing fails on it, and nothing did: it explains nothing, is explained by
            # nothing (a site fault explains only failing checks), and is not down.
            return
        wanted = _own_suppressions(host)
        site = self._site_of[host_id]
        if self._site_is_down(site):
            wanted.update(_site_suppressions(host, self._site_key[site].check_key))
        for key in before.keys() | wanted.keys():
            if before.get(key) != wanted.get(key):
                self._changed.add(key)
                if key in wanted:
                    self._suppressed[key] = wanted[key]
                else:
                    del self._suppressed[key]
        self._by_host[host_id] = wanted
        self._set_derived(host.key(HOST_DOWN), _host_down(host) if host.unreachable else None)

    def _set_derived(self, key: FaultKey, fault: DerivedFault | None) -> None:
        if self._derived.get(key) == fault:
            return
        self._changed.add(key)
        if fault is None:
            del self._derived[key]
        else:
            self._derived[key] = fault

    def _position(self, fault: DerivedFault) -> tuple[int, int]:
        """``assess`` lists host faults in host order, then site faults in site order."""
        key = fault.key
        if key.host_id is not None:
            return (0, self._rank[key.host_id])
        return (1, self._site_rank[key])


def _own_suppressions(host: HostFacts) -> dict[FaultKey, str]:
    """What the host's own faults explain: its rules' causes, and a host down the rest."""
    suppressed = {host.key(check): root for check, root in host.explained.items()}
    if host.unreachable:
        explained = host.failing if host.silent else _vendor_side(host.failing)
        suppressed.update(dict.fromkeys(map(host.key, explained), HOST_DOWN))
    return suppressed


def _site_suppressions(host: HostFacts, site_key: str) -> dict[FaultKey, str]:
    """What a site fault explains on one of its hosts (over what the host explains itself)."""
    explained = host.failing if host.silent else _vendor_side(host.failing)
    explained |= {HOST_DOWN} if host.unreachable else set()
    return dict.fromkeys(map(host.key, explained), site_key)


def _site_down(members: Collection[HostFacts]) -> bool:
    return len(members) >= 2 and all(host.down for host in members)


def _site_down_key(customer_id: str, site: str | None) -> FaultKey:
    return FaultKey(customer_id, None, SITE_DOWN if site is None else f"{SITE_DOWN}:{site}")


def _site_down_fault(customer_id: str, site: str | None, members: int) -> DerivedFault:
    where = f"site {site}" if site else "every site"
    detail = f"all {members} hosts of {where} are down or unreachable"
    return DerivedFault(_site_down_key(customer_id, site), Severity.CRITICAL, detail)


def _host_down(host: HostFacts) -> DerivedFault:
    remote = ", ".join(sorted(k for k in host.failing if k.startswith(REMOTE_PREFIX)))
    if host.silent:
        detail = f"host down: agent silent and not reachable ({remote})"
    elif HEARTBEAT in host.checks:
        detail = f"{UNREACHABLE} ({remote}); the agent still reports"
    else:  # a Mitel: no agent to say the host is up
        detail = f"host down: not reachable ({remote}), and it has no agent"
    return DerivedFault(host.key(HOST_DOWN), Severity.CRITICAL, detail)


def _vendor_side(failing: frozenset[str]) -> set[str]:
    return {check for check in failing if check.startswith(_VENDOR_SIDE)}


def _sites(hosts: Iterable[HostFacts]) -> dict[tuple[str, str | None], list[HostFacts]]:
    """Hosts grouped by customer and site label; unlabelled hosts form the customer's site."""
    groups: dict[tuple[str, str | None], list[HostFacts]] = defaultdict(list)
    for host in hosts:
        groups[(host.customer_id, host.site)].append(host)
    return groups


def reconcile_derived(
    outcome: DependencyOutcome,
    open_derived: Iterable[FaultState],
    now: datetime,
    windows: Iterable[MaintenanceWindow],
) -> list[FaultDecision]:
    """Decisions that bring the open derived faults (of the assessed hosts) in line with the
    assessment: open the new ones, update the changed, resolve the ones no longer true."""
    windows = tuple(windows)
    current = {fault.key: fault for fault in open_derived if fault.is_open}
    decisions = []
    for wanted in outcome.derived:
        fault = current.pop(wanted.key, None)
        decision = _decision_for(wanted, fault, now, outcome.suppressed_by(wanted.key))
        if decision is not None:
            decisions.append(with_mail(decision, fault, windows))
    for fault in current.values():
        gone = FaultDecision(DecisionKind.RESOLVE, fault.key, now, fault.severity, fault.severity)
        decisions.append(with_mail(gone, fault, windows))
    return decisions


def _decision_for(
    wanted: DerivedFault, fault: FaultState | None, now: datetime, suppressed_by: str | None
) -> FaultDecision | None:
    if fault is None:
        kind, previous = DecisionKind.OPEN, None
    elif wanted.severity is not fault.severity:
        kind, previous = DecisionKind.ESCALATE, fault.severity
    elif wanted.detail != fault.detail or suppressed_by != fault.suppressed_by:
        kind, previous = DecisionKind.UPDATE, fault.severity
    else:
        return None
    return FaultDecision(
        kind, wanted.key, now, wanted.severity, previous, False, wanted.detail,
        suppressed_by=suppressed_by,
    )  # fmt: skip
