"""Stores the fault engine's decisions: the fault row, its history, its incident, its mail.

A fault's incident opens with its opening mail (``collector.engine.incident_opening``): as the fault
opens, when it is announced at the end of its run, or when a hold on its mail lifts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.describe import describe_check
from collector.domain.faults import (
    DecisionKind,
    FaultDecision,
    FaultState,
    Mail,
    apply_decision,
    opening_announced,
)
from collector.engine.incident_opening import IncidentOpener
from collector.engine.incident_severity import follow_explained, follow_fault
from collector.notify import fanout
from collector.store import faults as fault_store
from collector.store import incidents

#: Decisions that set a fault's severity: as it opens, and as it rises.
_SEVERITY_SET = (DecisionKind.OPEN, DecisionKind.ESCALATE)


class FaultWriter:
    def __init__(
        self, conn: Connection, config: CollectorConfig, now: datetime, opener: IncidentOpener
    ) -> None:
        self._conn = conn
        self._config = config
        self._now = now
        self._opener = opener
        #: Each customer's audience (contacts, zone), read once per run: nothing in a run
        #: changes them, and a customer's outage mails many times.
        self._audiences: dict[str, fanout.Audience] = {}

    def apply(
        self, fault_id: int | None, before: FaultState | None, decision: FaultDecision
    ) -> tuple[int, FaultState]:
        """Persist ``decision`` on the fault (a new row for OPEN); returns its id and state."""
        conn = self._conn
        after = apply_decision(before, decision)
        if decision.kind is DecisionKind.OPEN:
            fault_id = None
        title = describe_check(decision.key.check_key)
        fault_id = fault_store.save_state(conn, fault_id, after, title, decision.at)
        note = decision.detail + (f" (mail held: {decision.held})" if decision.held else "")
        fault_store.record_event(conn, fault_id, decision.at, decision.kind.value, note)
        if decision.kind is DecisionKind.RESOLVE:
            incidents.resolve_for_fault(conn, fault_id, decision.at)
        if after.suppressed_by is not None and decision.kind in _SEVERITY_SET:
            follow_explained(conn, self._config, after, decision.at)
        elif decision.kind is DecisionKind.ESCALATE:
            follow_fault(conn, self._config, fault_id, after.severity.value, decision.at)
        new = decision.kind is DecisionKind.OPEN
        self._write_mail(fault_id, None if new else before, after, decision)
        return fault_id, after

    def announce(self, fault_id: int, fault: FaultState, decision: FaultDecision) -> FaultState:
        """Write the opening mail of a fault opened earlier in this run: its ledger and the
        outbox, and no event, since the fault's ``open`` event already tells its history."""
        after = apply_decision(fault, decision)
        fault_store.save_state(self._conn, fault_id, after, "", decision.at)
        self._write_mail(fault_id, fault, after, decision)
        return after

    def set_suppression(self, fault_id: int, fault: FaultState, by: str | None) -> None:
        """Another fault now explains this one (or no longer does)."""
        fault_store.save_state(
            self._conn, fault_id, replace(fault, suppressed_by=by), "", self._now
        )
        note = f"explained by {by}: not mailed" if by else "no longer explained by another fault"
        fault_store.record_event(self._conn, fault_id, self._now, "suppression", note)
        if by is not None:  # now part of its cause's outage, which may be less severe
            follow_explained(self._conn, self._config, replace(fault, suppressed_by=by), self._now)

    def _write_mail(
        self, fault_id: int, before: FaultState | None, after: FaultState, decision: FaultDecision
    ) -> None:
        """The decision's mail; the first mail of a fault's opening opens its incident, and
        tells sales too when no contract covers the customer then."""
        mail = decision.mail
        if mail is None:
            return
        # Read once for both the incident (its outage's severity) and the mail (what else the
        # outage explains): opening the incident changes neither.
        view = fault_store.get_fault(self._conn, fault_id)
        explained = fault_store.explained_by(self._conn, view) if view is not None else []
        covered = True  # sales hear of a fault once, with its opening
        if opening_announced(before, after):
            covered = self._opener.open(self._conn, fault_id, after, decision.at, explained)
        if view is None:
            return
        told = self._audience(view.customer_id)
        if mail is Mail.RESOLVED:
            fanout.fault_resolved(self._conn, view, self._config, self._now, told, explained)
        elif mail is Mail.REMINDER:
            fanout.fault_reminder(self._conn, view, self._config, self._now, told, explained)
        else:
            fanout.fault_opened(
                self._conn, view, self._config, self._now, covered=covered, told=told,
                explains=explained,
            )  # fmt: skip

    def _audience(self, customer_id: str) -> fanout.Audience:
        found = self._audiences.get(customer_id)
        if found is None:
            found = self._audiences[customer_id] = fanout.audience(self._conn, customer_id)
        return found
