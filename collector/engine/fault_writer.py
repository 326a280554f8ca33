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
from collector.store import fault_causes, fault_mail, incidents
from collector.store import faults as fault_store

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

    def apply(
        self, fault_id: int | None, before: FaultState | None, decision: FaultDecision
    ) -> tuple[int, FaultState]:
        """Persist ``decision`` on the fault (a new row for OPEN); returns its id and state."""
        conn = self._conn
        after = apply_decision(before, decision)
        if decision.kind is DecisionKind.OPEN:
            fault_id = None
        title = describe_check(decision.key.check_key)
        fault_id, saved = self._save(fault_id, after, title, decision)
        note = decision.detail + (f" (mail held: {decision.held})" if decision.held else "")
        fault_store.record_event(conn, fault_id, decision.at, decision.kind.value, note)
        resolved = None
        if decision.kind is DecisionKind.RESOLVE:
            resolved = incidents.resolve_for_fault(conn, fault_id, decision.at)
        if after.suppressed_by is not None and decision.kind in _SEVERITY_SET:
            follow_explained(conn, self._config, after, decision.at)
        elif decision.kind is DecisionKind.ESCALATE:
            follow_fault(conn, self._config, fault_id, after.severity.value, decision.at)
        new = decision.kind is DecisionKind.OPEN
        self._write_mail(fault_id, None if new else before, after, decision, saved, resolved)
        return fault_id, after

    def announce(self, fault_id: int, fault: FaultState, decision: FaultDecision) -> FaultState:
        """Write the opening mail of a fault opened earlier in this run: its ledger and the
        outbox, and no event, since the fault's ``open`` event already tells its history."""
        after = apply_decision(fault, decision)
        _, saved = self._save(fault_id, after, "", decision)
        self._write_mail(fault_id, fault, after, decision, saved)
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

    def _save(
        self, fault_id: int | None, after: FaultState, title: str, decision: FaultDecision
    ) -> tuple[int, fault_mail.SavedFault | None]:
        """Save the fault; with a mail to write, reading back in the same statement what the
        mail needs (nothing the decision writes next changes it: the fault's row is done)."""
        if decision.mail is None:
            return fault_store.save_state(self._conn, fault_id, after, title, decision.at), None
        return fault_mail.save_for_mail(self._conn, fault_id, after, title, decision.at)

    def _write_mail(
        self,
        fault_id: int,
        before: FaultState | None,
        after: FaultState,
        decision: FaultDecision,
        saved: fault_mail.SavedFault | None,
        resolved: incidents.MailedTerms | None = None,
    ) -> None:
        """The decision's mail; the first mail of a fault's opening opens its incident, and
        tells sales too when no contract covers the customer then. ``saved``: the fault as
        saved for it; ``resolved``: the terms of the incident the decision resolved."""
        mail = decision.mail
        if mail is None:
            return
        conn, at = self._conn, decision.at
        if saved is None:  # its customer is gone: only the incident, as it always was
            if opening_announced(before, after):
                self._opener.open(conn, fault_id, after, at)
            return
        view = saved.view
        # Read once for both the incident (its outage's severity) and the mail (what else the
        # outage explains), and only when it explains some: opening the incident changes
        # neither.
        explained = fault_causes.explained_by(conn, view) if saved.explains_others else []
        covered = True  # sales hear of a fault once, with its opening
        incident = resolved
        if opening_announced(before, after):
            if saved.incident_covered is None:
                tier = saved.contract_tier  # in force at ``at``, read back by the save
                covered, incident = self._opener.open_new(
                    conn, fault_id, after, at, tier, explained
                )
            else:  # the fault has its incident already: one per fault
                covered = saved.incident_covered
        if incident is None and saved.incident_covered is not None:
            # It had an incident as it was saved, and what followed may have changed its terms
            # (a severity that rose moves the response target).
            incident = incidents.mailed_terms(conn, fault_id)
        told = fanout.Audience(saved.contact_emails, saved.customer_zone)
        said = fanout.terms_of(view, self._config, told, explained, incident)
        if mail is Mail.RESOLVED:
            fanout.fault_resolved(conn, view, self._config, self._now, told, said)
        elif mail is Mail.REMINDER:
            fanout.fault_reminder(conn, view, self._config, self._now, told, said)
        else:
            fanout.fault_opened(
                conn, view, self._config, self._now, covered=covered, told=told, said=said
            )
