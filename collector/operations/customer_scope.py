"""What a customer user may read: every query narrowed to their own customer.

Each function takes the customer's id from the session (never from the request) and answers
``None`` for an id that is not theirs, exactly as for one that does not exist, so the portal
and the JSON API answer 404 to both and a guessed id reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from collector.domain.outcomes import Outcome
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory, maintenance
from collector.store.faults import FaultView
from collector.store.incident_view import IncidentView
from collector.store.inventory import Host
from collector.store.maintenance import StoredWindow

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


def host_status(
    host: Host, open_faults: int, in_maintenance: bool, now: datetime, missed_intervals: int
) -> str:
    """Maintenance says why nothing is mailed; silence beats faults (nothing else can be
    trusted); then faults; else ok."""
    if in_maintenance:
        return "maintenance"
    limit = timedelta(seconds=host.heartbeat_interval_s * missed_intervals)
    if host.last_seen_at is None or now - host.last_seen_at > limit:
        return "silent"
    return "fault" if open_faults else "ok"


def hosts(
    conn: Connection, customer_id: str, now: datetime, missed_intervals: int, only: str = ""
) -> list[PortalHost]:
    """The customer's hosts with their state; ``only`` narrows to one host id."""
    windows = [w.window for w in maintenance.list_windows(conn, customer_id=customer_id)]
    counts: dict[str | None, int] = {}
    for fault in faults(conn, customer_id, open_only=True, limit=100_000):
        counts[fault.host_id] = counts.get(fault.host_id, 0) + 1
    rows = []
    for host in inventory.list_hosts(conn, customer_id):
        if only and host.id != only:
            continue
        held = any(w.covers(host.id, customer_id) and w.active_at(now) for w in windows)
        status = host_status(host, counts.get(host.id, 0), held, now, missed_intervals)
        rows.append(PortalHost(host, status, counts.get(host.id, 0)))
    return rows


def host_row(
    conn: Connection, customer_id: str, host_id: str, now: datetime, missed_intervals: int
) -> PortalHost | None:
    """One of the customer's hosts with its state; None for another customer's."""
    if host(conn, customer_id, host_id) is None:
        return None
    return hosts(conn, customer_id, now, missed_intervals, only=host_id)[0]


def host(conn: Connection, customer_id: str, host_id: str) -> Host | None:
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
