"""An engineer takes a paged incident and paging stops (page link, dashboard or CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from collector.operations.incidents import IncidentNotFound
from collector.store import pages as page_store


def acknowledge_page(
    conn: Connection, incident_id: int, *, by: str, via: str, now: datetime
) -> bool:
    """An engineer takes the incident and paging stops; False if one already had.

    A customer's acknowledgement of the fault never stops paging: only this does.
    """
    if page_store.get_incident(conn, incident_id) is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return page_store.acknowledge(conn, incident_id, by=by, via=via, at=now)
