"""An incident's severity follows its outage up, never down: the highest of its fault's and of
every fault that fault explains (recorded under it, with no incident of their own).

It opens at that highest (``outage_severity``). When the fault's severity, or an explained
fault's, rises above the incident's (``follow_fault``, ``follow_explained``), the incident
takes it: each target becomes the earlier of its current due time and the new severity's
target counted from the rise (``incident_terms.raised_policy``), the paging terms become the
new severity's (the paging sweep acts on them at its next run), and the change goes on the
timeline and to the NOC. A falling severity changes nothing: a promise made is never relaxed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.describe import describe_check
from collector.domain.faults import FaultState
from collector.domain.policy import Severity
from collector.domain.sla import TargetClock, format_local
from collector.engine.incident_clock import access_rules, incident_clocks
from collector.engine.incident_terms import raised_policy
from collector.notify import outbox, sla_messages
from collector.store import fault_causes, incidents
from collector.store import faults as fault_store
from collector.store.faults import FaultView
from collector.store.incidents import SYSTEM_ACTOR


def outage_severity(
    conn: Connection, fault_id: int, own: Severity, explained: Sequence[FaultView] | None = None
) -> Severity:
    """The highest severity among the fault (``own``) and the open faults it explains
    (``explained``, when the caller has read them already)."""
    if explained is None:
        view = fault_store.get_fault(conn, fault_id)
        explained = fault_causes.explained_by(conn, view) if view is not None else []
    return max([own, *(Severity(fault.severity) for fault in explained)], key=_rank)


def _rank(severity: Severity) -> int:
    return severity.rank


def follow_explained(
    conn: Connection, config: CollectorConfig, explained: FaultState, at: datetime
) -> bool:
    """Raise the incident of the fault that explains ``explained`` to its severity, if that is
    higher: the explained fault is part of that outage. True when raised."""
    if explained.suppressed_by is None:
        return False
    cause_id = fault_causes.cause_of(conn, explained.key, explained.suppressed_by)
    if cause_id is None:
        return False
    source = f"{describe_check(explained.key.check_key)}, which its fault explains,"
    return follow_fault(conn, config, cause_id, explained.severity.value, at, source=source)


def follow_fault(
    conn: Connection,
    config: CollectorConfig,
    fault_id: int,
    severity: str,
    at: datetime,
    *,
    source: str = "its fault",
) -> bool:
    """Raise the fault's open incident to ``severity`` if that is higher; True when raised.
    ``source`` says whose severity it takes, on the timeline."""
    incident = incidents.incident_for_fault(conn, fault_id)
    if incident is None or not incident.is_open:
        return False
    if Severity(severity).rank <= Severity(incident.severity).rank:
        return False
    catalogue, rules = catalogue_for(config), access_rules(config)
    before = incident_clocks(conn, incident, catalogue, at, rules)
    tier = catalogue.get(incident.tier) if incident.covered else None
    policy = raised_policy(incident.policy, tier, severity, at)
    incidents.raise_severity(conn, incident.id, severity, policy)
    raised = incidents.get_incident(conn, incident.id)
    assert raised is not None
    after = incident_clocks(conn, raised, catalogue, at, rules)
    response = after.get("first_response")
    if raised.responded_at is None and response is not None:
        incidents.set_response_due(conn, incident.id, response.due)
    changes = _moved(before, after)
    detail = f"{incident.severity} → {severity}, as {source}{changes}"
    incidents.record_event(conn, incident.id, at, "severity_raised", SYSTEM_ACTOR, detail)
    notice = sla_messages.noc_notice(conn, config, raised, at)
    mail = sla_messages.severity_raised(notice, incident.severity, changes)
    outbox.enqueue(
        conn, kind=mail.kind, recipient=mail.recipient, subject=mail.subject, body=mail.body,
        now=at, fault_id=fault_id, html=mail.html,
    )  # fmt: skip
    return True


def _moved(before: dict[str, TargetClock], after: dict[str, TargetClock]) -> str:
    said = [
        f"{name.replace('_', ' ')} due {format_local(clock.due, clock.calendar)} "
        f"{clock.calendar.zone}"
        for name, clock in after.items()
        if name not in before or before[name].due != clock.due
    ]
    return f"; {', '.join(said)}" if said else "; no target moved"
