"""An engineer takes a paged incident and paging stops (page link, dashboard or CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from collector.operations.incidents import IncidentNotFound
from collector.store import audit
from collector.store import incidents as incident_store
from collector.store import pages as page_store


def acknowledge_page(
    conn: Connection,
    incident_id: int,
    *,
    by: str,
    via: str,
    now: datetime,
    actor: str | None = None,
    address: str = "",
) -> bool:
    """An engineer takes the incident and paging stops; False if one already had.

    A customer's acknowledgement of the fault never stops paging: only this does. The taking
    is in the audit log under ``actor`` (who acted: ``operator:NAME``, ``link:PERSON`` for a
    paged engineer's link, ``cli:NAME``), defaulting to ``by``.
    """
    incident = incident_store.get_incident(conn, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    done = page_store.acknowledge(conn, incident_id, by=by, via=via, at=now)
    if done:
        audit.record(
            conn,
            at=now,
            actor=actor or by,
            action="page.acknowledged",
            target=f"incident:{incident_id}",
            customer_id=incident.customer_id,
            address=address,
            detail={"by": by, "via": via},
        )
    return done
