"""Dependencies between faults: one outage, one fault, one mail.

From the checks currently failing on every host of a customer, decide which faults explain
others. The explained faults stay recorded but are *suppressed* (not mailed, no reminders);
the explanations may be *derived* faults of their own::

    asterisk.ami failing        PBX down explains the host's other asterisk.* and sip faults
    remote access all failing   host.down: agent silent too → "host down", else "unreachable";
                                explains the remote.*/cert.*/ssh.* faults, and when the agent
                                is silent too, every other fault of the host
    every host of a site down   site.down[:<site>]: explains their host.down faults and what
                                those would explain

The assessment is a pure function of the current facts, recomputed whenever they change;
``reconcile_derived`` turns it into decisions on the derived faults' rows, and the store sets
each open fault's ``suppressed_by`` from ``DependencyOutcome.suppressed_by``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from collector.domain.checks import CheckState
from collector.domain.faults import DecisionKind, FaultDecision, FaultKey, FaultState, with_mail
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Severity
from collector.domain.rules import AMI, HEARTBEAT

HOST_DOWN = "host.down"
SITE_DOWN = "site.down"
REMOTE_PREFIX = "remote."
_VENDOR_SIDE = ("remote.", "cert.", "ssh.")  # what the collector probes from outside
_PBX_SIDE = ("asterisk.", "sip")


@dataclass(frozen=True)
class HostFacts:
    """What dependencies need to know about one host: its checks and which are failing."""

    host_id: str
    customer_id: str
    site: str | None = None
    checks: frozenset[str] = frozenset()
    failing: frozenset[str] = frozenset()  # checks whose fault is raised

    @property
    def unreachable(self) -> bool:
        """Every remote-access check fails (and there is at least one)."""
        remote = {key for key in self.checks | self.failing if key.startswith(REMOTE_PREFIX)}
        return bool(remote) and remote <= self.failing

    @property
    def silent(self) -> bool:
        return HEARTBEAT in self.failing

    @property
    def down(self) -> bool:
        """Down as far as anyone can tell: unreachable, or silent with nothing to probe."""
        has_remote = any(key.startswith(REMOTE_PREFIX) for key in self.checks | self.failing)
        return self.unreachable or (self.silent and not has_remote)

    def key(self, check_key: str) -> FaultKey:
        return FaultKey(self.customer_id, self.host_id, check_key)


def host_facts(
    host_id: str, customer_id: str, site: str | None, states: Iterable[CheckState]
) -> HostFacts:
    """Facts from a host's persisted check states."""
    states = list(states)
    checks = frozenset(state.check_key for state in states)
    failing = frozenset(state.check_key for state in states if state.raised)
    return HostFacts(host_id, customer_id, site, checks, failing)


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
        if AMI in host.failing:
            for check in host.failing - {AMI}:
                if check.startswith(_PBX_SIDE):
                    suppressed[host.key(check)] = AMI
        if host.unreachable:
            derived.append(_host_down(host))
            explained = host.failing if host.silent else _vendor_side(host.failing)
            suppressed.update(dict.fromkeys(map(host.key, explained), HOST_DOWN))
    for (customer_id, site), members in _sites(hosts).items():
        if len(members) < 2 or not all(host.down for host in members):
            continue
        site_key = SITE_DOWN if site is None else f"{SITE_DOWN}:{site}"
        where = f"site {site}" if site else "every site"
        detail = f"all {len(members)} hosts of {where} are down or unreachable"
        derived.append(
            DerivedFault(FaultKey(customer_id, None, site_key), Severity.CRITICAL, detail)
        )
        for host in members:
            explained = host.failing if host.silent else _vendor_side(host.failing)
            explained |= {HOST_DOWN} if host.unreachable else set()
            suppressed.update(dict.fromkeys(map(host.key, explained), site_key))
    return DependencyOutcome(tuple(derived), suppressed)


def _host_down(host: HostFacts) -> DerivedFault:
    remote = ", ".join(sorted(k for k in host.failing if k.startswith(REMOTE_PREFIX)))
    if host.silent:
        detail = f"host down: agent silent and not reachable ({remote})"
    else:
        detail = f"host unreachable from the vendor ({remote}); the agent still reports"
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
