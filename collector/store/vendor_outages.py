"""The vendor's own network seen down: one row per episode, so the NOC is told once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, literal, select, true, update

from collector.store.hot_statements import HotStatement
from collector.store.incident_pauses import STILL_OPEN_REMOTE, RemoteFault, remote_fault
from collector.store.schema import vendor_outages


@dataclass(frozen=True)
class VendorOutage:
    id: int
    started_at: datetime
    ended_at: datetime | None
    cause: str


#: Built once: the vendor-network sweep asks after every check run.
_CURRENT = (
    select(vendor_outages)
    .where(vendor_outages.c.ended_at.is_(None))
    .order_by(vendor_outages.c.id.desc())
)


def current(conn: Connection) -> VendorOutage | None:
    """The episode still going, if any."""
    row = conn.execute(_CURRENT).first()
    return VendorOutage(row.id, row.started_at, row.ended_at, row.cause) if row else None


_GOING = _CURRENT.limit(1).subquery("going")
_FAILING = STILL_OPEN_REMOTE.subquery("failing")
#: ``current`` and ``incident_pauses.still_open_remote`` in one read, one row for each fault
#: (one with none when there is none), each with the episode: the sweep asks after every check
#: run (through the driver's cursor on SQLite: ``hot_statements``). Joined from a row of its own,
#: as there may be neither.
_CURRENT_AND_FAILING = HotStatement(
    select(
        _GOING.c.id.label("outage_id"), _GOING.c.started_at.label("outage_started_at"),
        _GOING.c.ended_at.label("outage_ended_at"), _GOING.c.cause.label("outage_cause"),
        *_FAILING.c,
    )
    .select_from(
        select(literal(1).label("one")).subquery("anchor")
        .outerjoin(_GOING, true()).outerjoin(_FAILING, true())
    )
    .order_by(_FAILING.c.opened_at, _FAILING.c.id)
)  # fmt: skip


def current_and_failing(conn: Connection) -> tuple[VendorOutage | None, list[RemoteFault]]:
    """The episode still going (if any), and every ``remote.*`` fault open now, whichever its
    check, oldest first (``incident_pauses.still_open_remote``): the vendor-network sweep's
    one read."""
    rows = _CURRENT_AND_FAILING.rows(conn)
    outage_id, started_at, ended_at, cause = rows[0][:4]
    going = None if outage_id is None else VendorOutage(outage_id, started_at, ended_at, cause)
    return going, [remote_fault(row[4:]) for row in rows if row[4] is not None]


def begin(conn: Connection, at: datetime, cause: str) -> int:
    result = conn.execute(insert(vendor_outages).values(started_at=at, cause=cause))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def end(conn: Connection, outage_id: int, at: datetime) -> bool:
    """Close the episode; False when another collector closed it first."""
    result = conn.execute(
        update(vendor_outages)
        .where(vendor_outages.c.id == outage_id, vendor_outages.c.ended_at.is_(None))
        .values(ended_at=at)
    )
    return bool(result.rowcount)


def history(conn: Connection, limit: int = 50) -> list[VendorOutage]:
    rows = conn.execute(select(vendor_outages).order_by(vendor_outages.c.id.desc()).limit(limit))
    return [VendorOutage(r.id, r.started_at, r.ended_at, r.cause) for r in rows]
