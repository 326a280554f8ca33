"""What stops an incident's response clock, as recorded facts.

Two sources, one mechanism each:

* **Remote access lost** is read from the fault history, not copied anywhere: every fault on the
  incident's host whose check is a remote-access probe (``remote.*``) or ``host.down`` covers
  ``[opened_at, resolved_at)`` (still open: until now). The faults table already records when
  access went and came back, for every incident alike, including outages that began before the
  incident opened — a second record could only drift from it. The incident's own fault is left
  out: an incident *about* lost access must not stop its own clock.
* **Waiting on the customer** is an operator's word, so it is an ``incident_pauses`` row
  (reason ``waiting_on_customer``) opened and closed by the wait/resume actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update

from collector.store.schema import faults, incident_pauses

WAITING = "waiting_on_customer"
REMOTE_PREFIX = "remote."
HOST_DOWN = "host.down"


@dataclass(frozen=True)
class Outage:
    """Remote access to a host lost over ``[start, end)``; ``end`` None while still lost."""

    check_key: str
    start: datetime
    end: datetime | None


def remote_access_outages(
    conn: Connection, host_id: str, *, until: datetime, exclude_fault_id: int | None = None
) -> list[Outage]:
    """Remote-access faults on ``host_id`` that began before ``until``, oldest first."""
    query = select(faults.c.check_key, faults.c.opened_at, faults.c.resolved_at).where(
        faults.c.host_id == host_id,
        or_(faults.c.check_key.startswith(REMOTE_PREFIX), faults.c.check_key == HOST_DOWN),
        faults.c.opened_at < until,
    )
    if exclude_fault_id is not None:
        query = query.where(faults.c.id != exclude_fault_id)
    rows = conn.execute(query.order_by(faults.c.opened_at, faults.c.id))
    return [Outage(row.check_key, row.opened_at, row.resolved_at) for row in rows]


def start_waiting(conn: Connection, incident_id: int, at: datetime) -> None:
    conn.execute(
        insert(incident_pauses).values(
            incident_id=incident_id, reason=WAITING, starts_at=at, ends_at=None
        )
    )


def stop_waiting(conn: Connection, incident_id: int, at: datetime) -> datetime | None:
    """End the incident's open wait; returns when it started (None: it was not waiting)."""
    since = waiting_since(conn, incident_id)
    if since is None:
        return None
    conn.execute(
        update(incident_pauses)
        .where(
            incident_pauses.c.incident_id == incident_id,
            incident_pauses.c.reason == WAITING,
            incident_pauses.c.ends_at.is_(None),
        )
        .values(ends_at=max(at, since))
    )
    return since


def waiting_since(conn: Connection, incident_id: int) -> datetime | None:
    """When the current wait on the customer began; None when not waiting."""
    return conn.scalar(
        select(incident_pauses.c.starts_at).where(
            incident_pauses.c.incident_id == incident_id,
            incident_pauses.c.reason == WAITING,
            incident_pauses.c.ends_at.is_(None),
        )
    )


def waits(conn: Connection, incident_id: int) -> list[tuple[datetime, datetime | None]]:
    """Every wait on the customer as ``(start, end)``; end None while still waiting."""
    rows = conn.execute(
        select(incident_pauses.c.starts_at, incident_pauses.c.ends_at)
        .where(incident_pauses.c.incident_id == incident_id, incident_pauses.c.reason == WAITING)
        .order_by(incident_pauses.c.starts_at, incident_pauses.c.id)
    )
    return [(row.starts_at, row.ends_at) for row in rows]
