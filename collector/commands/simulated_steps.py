"""A scenario's incident step, taken as an engineer takes it: on the host's latest incident not
closed yet, through the operations' own ``perform`` (the one the API and the CLI use). What the
incident's state refuses comes back as one line, for the notes ``simulate`` prints; the play
goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select

from collector.commands.scenario import Event
from collector.domain.access import AccessRules
from collector.domain.tiers import Tier
from collector.operations.incidents import IncidentError, perform
from collector.store import incidents as incident_store
from collector.store.hot_statements import HotStatement
from collector.store.incident_view import incident_view_of
from collector.store.schema import faults, incidents


def take_step(
    conn: Connection,
    host_id: str,
    event: Event,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules,
) -> str | None:
    """Take the event's step on the host's latest open incident; what was refused, if anything."""
    found = _LATEST_OPEN.mappings(conn, {"host": host_id})
    if not found:
        return f"step {event.step!r}: {host_id} has no open incident"
    incident = incident_view_of(found[0])
    try:
        perform(
            conn, incident, event.step or "", by=event.by, now=now, catalogue=catalogue,
            note=event.note, rules=rules, force=event.force,
        )  # fmt: skip
    except IncidentError as exc:
        return f"step {event.step!r} on incident #{incident.id} refused: {exc}"
    return None


#: The host's latest incident not closed yet, as the view ``perform`` reads; built once (it
#: cost more than running it) and run on SQLite's own cursor. The subquery's own aliases: they
#: must not correlate.
_MINE, _ITS = incidents.alias(), faults.alias()
_LATEST_OPEN = HotStatement(
    incident_store.views().where(
        incidents.c.id
        == select(func.max(_MINE.c.id))
        .join(_ITS, _ITS.c.id == _MINE.c.fault_id)
        .where(_ITS.c.host_id == bindparam("host"), _MINE.c.closed_at.is_(None))
        .scalar_subquery()
    )
)
