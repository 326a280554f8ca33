"""What a customer user may read: every query narrowed to their own customer.

Each function takes the customer's id from the session (never from the request) and answers
``None`` for an id that is not theirs, exactly as for one that does not exist, so the portal
and the JSON API answer 404 to both and a guessed id reveals nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from collector.domain.host_status import HostStatus, host_status
from collector.domain.outcomes import Outcome
from collector.domain.rules import AGENTLESS_KINDS
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory, maintenance
from collector.store import snmp as snmp_store
from collector.store.faults import FaultView
from collector.store.incident_view import IncidentView
from collector.store.inventory import Host
from collector.store.maintenance import StoredWindow
from collector.web.ids import unstorable

#: Event kinds a customer sees (when, and what kind) though their words may be internal.
PUBLIC_STEPS = frozenset(
    {"opened", "responded", "onsite_requested", "on_site", "resolved", "closed", "reported"}
)


@dataclass(frozen=True)
class PortalHost:
    host: Host
    #: "ok", "fault", "silent" or "maintenance"
    status: str
    open_faults: int


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    words: str


def portal_status(status: HostStatus, in_maintenance: bool) -> str:
    """The portal's word for the operators' status: maintenance says why nothing is mailed;
    not heard from in time (``silent``) beats faults (nothing else can be trusted); then
    faults; else ok."""
    if in_maintenance:
        return "maintenance"
    if status.late:
        return "silent"
    return "fault" if status.open_faults else "ok"


def hosts(
    conn: Connection, customer_id: str, now: datetime, missed_intervals: int, only: str = ""
) -> list[PortalHost]:
    """The customer's hosts with their state; ``only`` narrows to one host id."""
    windows = [w.window for w in maintenance.list_windows(conn, customer_id=customer_id)]
    severities: dict[str | None, list[str]] = defaultdict(list)
    for fault in faults(conn, customer_id, open_only=True, limit=100_000):
        severities[fault.host_id].append(fault.severity)
    shown = [h for h in inventory.list_hosts(conn, customer_id) if not only or h.id == only]
    watched = snmp_store.last_watched(conn, [h.id for h in shown if h.kind in AGENTLESS_KINDS])
    rows = []
    for host in shown:
        held = any(w.covers(host.id, customer_id) and w.active_at(now) for w in windows)
        status = host_status(host, watched.get(host.id), severities[host.id], now, missed_intervals)
        rows.append(PortalHost(host, portal_status(status, held), status.open_faults))
    return rows


def host_row(
    conn: Connection, customer_id: str, host_id: str, now: datetime, missed_intervals: int
) -> PortalHost | None:
    """One of the customer's hosts with its state; None for another customer's."""
    if host(conn, customer_id, host_id) is None:
        return None
    return hosts(conn, customer_id, now, missed_intervals, only=host_id)[0]


def host(conn: Connection, customer_id: str, host_id: str) -> Host | None:
    if unstorable(host_id):  # no host has it, and PostgreSQL would refuse to compare a NUL
        return None
    try:
        found = inventory.get_host(conn, host_id)
    except inventory.NotFound:
        return None
    return found if found.customer_id == customer_id else None


def faults(
    conn: Connection,
    customer_id: str,
    *,
    open_only: bool,
    limit: int = 200,
    host_id: str | None = None,
) -> list[FaultView]:
    return fault_store.list_faults(
        conn, open_only=open_only, customer_id=customer_id, host_id=host_id, limit=limit
    )


def fault(conn: Connection, customer_id: str, fault_id: int) -> FaultView | None:
    found = fault_store.get_fault(conn, fault_id)
    return found if found is not None and found.customer_id == customer_id else None


def tickets(
    conn: Connection, customer_id: str, *, open_only: bool = False, limit: int = 200
) -> list[IncidentView]:
    return incident_store.customer_incidents(conn, customer_id, open_only=open_only, limit=limit)


def ticket(conn: Connection, customer_id: str, incident_id: int) -> IncidentView | None:
    found = incident_store.get_incident(conn, incident_id)
    return found if found is not None and found.customer_id == customer_id else None


def public_timeline(conn: Connection, incident_id: int) -> list[TimelineEntry]:
    """What the customer may read of a ticket's history: steps without their internal words,
    and the public comments whole. Operators' internal notes never appear."""
    entries = []
    for event in incident_store.events(conn, incident_id):
        if event.public:
            entries.append(TimelineEntry(event.at, event.kind, event.actor, event.detail))
        elif event.kind in PUBLIC_STEPS:
            entries.append(TimelineEntry(event.at, event.kind, "", ""))
    return entries


def target_met(incident: IncidentView, now: datetime) -> bool | None:
    """Whether the first-response target was met, as operators see it (``IncidentView.outcome``):
    None while it still can be, or with no target."""
    outcome = incident.outcome("first_response", incident.response_due_at, now)
    return None if outcome is None else outcome is Outcome.MET


def upcoming_maintenance(conn: Connection, customer_id: str, now: datetime) -> list[StoredWindow]:
    return [
        w for w in maintenance.list_windows(conn, customer_id=customer_id) if not w.is_over(now)
    ]
