"""One customer's dependency facts and open faults, read once per run and kept current.

A fault decision weighs its host against every host of the customer (host down, site down,
what explains what). So that an outage of N hosts costs N steps rather than N², a run (one
transaction) reads them the first time it acts on the customer and then follows its own
writes: the watch states it saves (``states_saved``) and the faults it decides. Nothing else
writes the customer's states or faults inside the run's transaction, so the view stays what a
fresh read would return.

The first reconciliation covers every open fault, as the facts may have changed since the last
run without a transition (a check seen for the first time); later ones cover only the keys the
assessment says moved, as every other fault was brought in line with it already.

A fault opened in the run is recorded at once (row, event), but its opening mail, and with it
its incident, waits until the run announces it (``announce``: at its end, or after each report
of a batch): hosts are decided one after another, and the fault that explains the first ones
(their site down, their host down) may appear only with the last. Decided at the end, a fault
explained by then is held, as if the whole run had been assessed together, and gets no
incident until the hold lifts. A fault that resolves within its run is announced first, with
what is known then, so that its recovery is mailed exactly when its opening was.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from collector.domain.dependencies import (
    Assessment,
    DependencyOutcome,
    HostFacts,
    is_derived,
    reconcile_derived,
)
from collector.domain.dependency_rules import DependencyCatalogue, RuleSet
from collector.domain.faults import (
    DecisionKind,
    FaultDecision,
    FaultKey,
    FaultState,
    decide,
    notifications_due,
    with_mail,
)
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import NotificationPolicy
from collector.domain.watches import WatchState, WatchTransition
from collector.engine.fault_writer import FaultWriter
from collector.store import faults as fault_store
from collector.store import watch_states


class CustomerView:
    """A customer's hosts' dependency facts, their assessment and its open faults."""

    def __init__(
        self,
        conn: Connection,
        customer_id: str,
        writer: FaultWriter,
        now: datetime,
        windows: tuple[MaintenanceWindow, ...],
        mail_policy: NotificationPolicy,
        dependencies: DependencyCatalogue,
    ) -> None:
        self._customer_id = customer_id
        self._writer = writer
        self._now = now
        self._windows = windows
        self._mail_policy = mail_policy
        #: host id → (its check keys, those whose fault is raised), in the store's host order.
        kinds, self._facts = watch_states.kinds_and_raised(conn, customer_id)
        #: host id → the dependency rules that hold on it (its kind's, as overridden).
        self._rules: dict[str, RuleSet] = {
            host_id: dependencies.for_host(kinds.get(host_id, "server"), customer_id, host_id)
            for host_id in self._facts
        }
        self._assessment = Assessment(map(self._host_facts, self._facts))
        #: The customer's open faults by key, in id order, kept current by ``_apply``.
        self._open = fault_store.open_states(conn, customer_id)
        self._stale: set[str] = set()  # hosts whose states changed since they were assessed
        self._reconciled = False
        #: Faults opened in this run whose opening mail waits for its end → when they opened.
        self._unannounced: dict[FaultKey, datetime] = {}

    @property
    def host_ids(self) -> Iterable[str]:
        return self._facts.keys()

    def states_saved(self, host_id: str, states: Mapping[str, WatchState]) -> None:
        """The run stored these states of one of the customer's hosts."""
        checks, raised = self._facts[host_id]
        for key, state in states.items():
            checks.add(key)
            if state.raised:
                raised.add(key)
            else:
                raised.discard(key)
        self._stale.add(host_id)

    def act_on(self, host_id: str, transitions: Iterable[WatchTransition]) -> None:
        """Decide each transition's fault with the customer's dependencies in view, then bring
        the derived faults and every fault's suppression in line with them."""
        for stale in self._stale:
            self._assessment.update(self._host_facts(stale))
        self._stale.clear()
        for transition in transitions:
            key = FaultKey(self._customer_id, host_id, transition.check_key)
            fault_id, fault = self._open.get(key, (None, None))
            suppressed_by = self._assessment.suppressed_by(key)
            decision = decide(transition, key, fault, self._windows, suppressed_by=suppressed_by)
            if decision is not None:
                self._apply(fault_id, fault, decision)
        moved = self._assessment.take_changes()
        if not self._reconciled:
            moved = self._open.keys() | {fault.key for fault in self._assessment.derived()}
            self._reconciled = True
        self._reconcile(moved)

    def _reconcile(self, keys: Collection[FaultKey]) -> None:
        """Derived faults (host down, site down) of ``keys`` follow the assessment; so does
        the suppression of the other open faults among ``keys``."""
        wanted = self._assessment.derived(keys)
        suppressed = {fault.key: self._assessment.suppressed_by(fault.key) for fault in wanted}
        outcome = DependencyOutcome(wanted, {k: by for k, by in suppressed.items() if by})
        affected = sorted((self._open[key] for key in keys if key in self._open), key=_fault_id)
        derived = [fault for _, fault in affected if is_derived(fault.key.check_key)]
        for decision in reconcile_derived(outcome, derived, self._now, self._windows):
            fault_id, fault = self._open.get(decision.key, (None, None))
            self._apply(fault_id, fault, decision)
        for fault_id, fault in affected:
            by = self._assessment.suppressed_by(fault.key)
            if not is_derived(fault.key.check_key) and fault.suppressed_by != by:
                self._writer.set_suppression(fault_id, fault, by)
                self._open[fault.key] = (fault_id, replace(fault, suppressed_by=by))

    def unannounced(self) -> list[tuple[int, FaultKey]]:
        """The faults opened in this run whose opening mail is still to decide: id and key."""
        return [(self._open[key][0], key) for key in self._unannounced]

    def announce(self, key: FaultKey) -> None:
        """Decide the opening mail of a fault this run opened, with what is known now: mailed
        unless another fault explains it by now, or maintenance holds it, as any opening."""
        opened_at = self._unannounced.pop(key)
        fault_id, fault = self._open[key]
        # Decided at the time it opened, as its opening mail would have been: the same
        # maintenance windows apply, and reminders count from then.
        decision = notifications_due(fault, opened_at, self._windows, self._mail_policy)
        if decision is not None:
            self._open[key] = (fault_id, self._writer.announce(fault_id, fault, decision))

    def _apply(
        self, fault_id: int | None, fault: FaultState | None, decision: FaultDecision
    ) -> None:
        if decision.kind is DecisionKind.OPEN:
            self._unannounced[decision.key] = decision.at
            decision = replace(decision, mail=None)
        elif decision.key in self._unannounced:
            # The only mail a fault not announced yet can owe is its opening: it waits too,
            # unless the fault resolves before the run ends.
            if decision.kind is DecisionKind.RESOLVE:
                fault_id, fault, decision = self._announce_before_resolving(decision)
            else:
                decision = replace(decision, mail=None)
        fault_id, after = self._writer.apply(fault_id, fault, decision)
        if after.is_open:
            self._open[after.key] = (fault_id, after)
        else:
            self._open.pop(after.key, None)

    def _announce_before_resolving(
        self, decision: FaultDecision
    ) -> tuple[int, FaultState, FaultDecision]:
        """A fault opened and resolved in one run is announced first, with what is known as
        it resolves, so that its recovery is mailed if and only if its opening was."""
        key = decision.key
        fault_id, fault = self._open[key]
        self._open[key] = (fault_id, replace(fault, suppressed_by=decision.suppressed_by))
        self.announce(key)
        fault_id, fault = self._open[key]
        return fault_id, fault, with_mail(decision, fault, self._windows)

    def _host_facts(self, host_id: str) -> HostFacts:
        checks, raised = self._facts[host_id]
        return HostFacts(
            host_id, self._customer_id, None, frozenset(checks), frozenset(raised),
            self._rules[host_id],
        )  # fmt: skip


def _fault_id(found: tuple[int, FaultState]) -> int:
    return found[0]
