"""Pages sent about incidents, and the engineer's acknowledgement that stops them.

Each page is a row (who, where, when, and whether it went out), so the escalation decision is
made from the record of what was actually sent, and a webhook page left ``pending`` by a sweep
is delivered by whichever collector claims it first (compare-and-set on ``status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, insert, select, update

from collector.domain.faults import FaultState
from collector.domain.references import incident_reference
from collector.store.faults import engine_state, state_columns
from collector.store.schema import customers, faults, hosts, incident_events, incidents, pages

#: A webhook page taken by a sender; left so if it dies mid-POST (escalation goes on anyway).
SENDING = "sending"


@dataclass(frozen=True)
class PagingIncident:
    """What paging needs to know about one incident, and what a page says about it."""

    id: int
    fault_id: int
    customer_id: str
    customer_name: str
    host_name: str | None
    title: str
    tier: str
    severity: str
    opened_at: datetime
    policy: dict[str, Any]
    engineer_acknowledged_at: datetime | None
    engineer_acknowledged_by: str | None
    responded_at: datetime | None
    ended_at: datetime | None
    customer_acknowledged_at: datetime | None
    #: The engine's state of the incident's fault: whether its mail is held (a maintenance
    #: window, or another fault explains it) holds its pages too.
    fault: FaultState

    @property
    def reference(self) -> str:
        return incident_reference(self.id, self.opened_at)

    @property
    def pages_on_call(self) -> bool:
        return bool(self.policy.get("pages_on_call"))


@dataclass(frozen=True)
class PageRow:
    id: int
    incident_id: int
    at: datetime
    kind: str
    person: str
    target: str
    status: str
    last_error: str | None


def _incidents() -> Any:
    return (
        select(
            incidents,
            customers.c.name.label("customer_name"),
            hosts.c.name.label("host_name"),
            faults.c.title,
            faults.c.acknowledged_at.label("customer_acknowledged_at"),
            *state_columns("fault_"),
        )
        .join_from(incidents, faults)
        .outerjoin(hosts, hosts.c.id == faults.c.host_id)
        .join(customers, customers.c.id == incidents.c.customer_id)
    )


def _incident(row: Any) -> PagingIncident:
    ended = row.closed_at or row.resolved_at
    return PagingIncident(
        row.id, row.fault_id, row.customer_id, row.customer_name, row.host_name, row.title,
        row.tier, row.severity, row.opened_at, row.policy or {}, row.engineer_acknowledged_at,
        row.engineer_acknowledged_by, row.responded_at, ended, row.customer_acknowledged_at,
        engine_state(row, prefix="fault_"),
    )  # fmt: skip


#: The policy's ``pages_on_call`` as JSON text: "false" on PostgreSQL, "0" on SQLite (which
#: reads a JSON false as 0), "null" (SQLite) or NULL (PostgreSQL) when it is missing.
_PAGES_ON_CALL = cast(incidents.c.policy["pages_on_call"], Text)
#: Built once: every sweep asks, and building the statement costs more than running it. Most
#: waiting incidents do not page: those whose policy says so plainly (false, 0, null, missing)
#: are left out in SQL, the rest decided in Python (``awaiting_engineer``).
_AWAITING_ENGINEER = (
    _incidents()
    .where(
        incidents.c.closed_at.is_(None),
        incidents.c.resolved_at.is_(None),
        incidents.c.engineer_acknowledged_at.is_(None),
        incidents.c.responded_at.is_(None),
        _PAGES_ON_CALL != "false",
        _PAGES_ON_CALL != "0",
        _PAGES_ON_CALL != "null",
    )
    .order_by(incidents.c.id)
)


def awaiting_engineer(conn: Connection) -> list[PagingIncident]:
    """Open incidents no engineer has taken yet that their policy says page."""
    # Whether it pages is asked of the row first: the fault's state is built only for those.
    # (The SQL has left out only policies that surely do not page; Python has the last word.)
    rows = conn.execute(_AWAITING_ENGINEER)
    return [_incident(row) for row in rows if (row.policy or {}).get("pages_on_call")]


def get_incident(conn: Connection, incident_id: int) -> PagingIncident | None:
    row = conn.execute(_incidents().where(incidents.c.id == incident_id)).first()
    return _incident(row) if row else None


_PAGES_FOR = (
    select(pages)
    .where(pages.c.incident_id == bindparam("incident"))
    .order_by(pages.c.at, pages.c.id)
)


def pages_for(conn: Connection, incident_id: int) -> list[PageRow]:
    """The incident's pages, oldest first."""
    rows = conn.execute(_PAGES_FOR, {"incident": incident_id})
    return [PageRow(**row._mapping) for row in rows]


_PAGES_OF = (
    select(pages)
    .where(pages.c.incident_id.in_(bindparam("incidents", expanding=True)))
    .order_by(pages.c.incident_id, pages.c.at, pages.c.id)
)


def pages_by_incident(conn: Connection, incident_ids: list[int]) -> dict[int, list[PageRow]]:
    """``pages_for`` of several incidents in one statement: the paging sweep's every run."""
    found: dict[int, list[PageRow]] = {incident_id: [] for incident_id in incident_ids}
    if incident_ids:
        for row in conn.execute(_PAGES_OF, {"incidents": sorted(set(incident_ids))}):
            found[row.incident_id].append(PageRow(**row._mapping))
    return found


def record_page(
    conn: Connection,
    *,
    incident_id: int,
    at: datetime,
    kind: str,
    person: str,
    target: str,
    status: str,
) -> int:
    result = conn.execute(
        insert(pages).values(
            incident_id=incident_id, at=at, kind=kind, person=person, target=target, status=status
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def claim_pending(conn: Connection, limit: int = 20) -> list[PageRow]:
    """Take up to ``limit`` pending pages for delivery; another sender will not get them."""
    query = select(pages).where(pages.c.status == "pending").order_by(pages.c.id).limit(limit)
    claimed = []
    for row in conn.execute(query).all():
        taken = conn.execute(
            update(pages)
            .where(pages.c.id == row.id, pages.c.status == "pending")
            .values(status=SENDING)
        )
        if taken.rowcount == 1:
            claimed.append(PageRow(**{**row._mapping, "status": SENDING}))
    return claimed


def finish_page(conn: Connection, page_id: int, *, sent: bool, error: str | None) -> None:
    """Record the outcome of a delivery; ``error`` keeps the failed attempts' reasons."""
    values = {"status": "sent" if sent else "failed", "last_error": error and error[:2000]}
    conn.execute(update(pages).where(pages.c.id == page_id).values(**values))


def acknowledge(conn: Connection, incident_id: int, *, by: str, via: str, at: datetime) -> bool:
    """An engineer takes the incident; False if one already had. Recorded as an event."""
    taken = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.engineer_acknowledged_at.is_(None))
        .values(engineer_acknowledged_at=at, engineer_acknowledged_by=by[:100])
    )
    if taken.rowcount != 1:
        return False
    conn.execute(
        insert(incident_events).values(
            incident_id=incident_id,
            at=at,
            kind="page_acknowledged",
            actor=by,
            detail=f"paging stopped: acknowledged {via}",
        )
    )
    return True
