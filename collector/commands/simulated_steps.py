"""A scenario's incident step (respond, resolve, close, …) taken by a person at its moment, on
the host's latest incident not closed yet, through the same operation the API and the CLI use.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select

from collector.commands.scenario import Event
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.engine.incident_clock import access_rules
from collector.operations.incidents import IncidentError, perform
from collector.store import incidents as incident_store
from collector.store.driver_statement import DriverStatement
from collector.store.incident_view import incident_view_of
from collector.store.schema import faults, incidents


def incident_step(
    conn: Connection, config: CollectorConfig, host_id: str, event: Event, now: datetime
) -> str | None:
    """Take ``event``'s step on the host's latest incident not closed yet; a note saying why
    when there is none, or the step is refused, else None."""
    found = _LATEST_OPEN.mappings(conn, {"host": host_id})
    if not found:
        return f"step {event.step!r}: {host_id} has no open incident"
    incident = incident_view_of(found[0])
    try:
        perform(
            conn, incident, event.step or "", by=event.by, now=now,
            catalogue=catalogue_for(config), note=event.note,
            rules=access_rules(config), force=event.force,
        )  # fmt: skip
    except IncidentError as exc:
        return f"step {event.step!r} on incident #{incident.id} refused: {exc}"
    return None


#: The host's latest incident not closed yet, as the view ``perform`` reads; built once (it
#: cost more than running it) and run on SQLite's own cursor. The subquery's own aliases: they
#: must not correlate.
_MINE, _ITS = incidents.alias(), faults.alias()
_LATEST_OPEN = DriverStatement(
    incident_store.views().where(
        incidents.c.id
        == select(func.max(_MINE.c.id))
        .join(_ITS, _ITS.c.id == _MINE.c.fault_id)
        .where(_ITS.c.host_id == bindparam("host"), _MINE.c.closed_at.is_(None))
        .scalar_subquery()
    )
)
