"""Incident rows: at most one per fault, opened when its opening is mailed, stamped with the
contract tier and its response target.

Every change of an incident is also an ``incident_events`` row saying who did it and when.
Lifecycle changes are compare-and-set on the status, so two operators (or two collectors)
pressing the same button change it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, insert, select, update

from collector.domain.outcomes import Outcome, late_by, target_outcome
from collector.domain.stored_times import stored_utc
from collector.store.hot_statements import HotStatement, hot_insert
from collector.store.incident_view import (
    IncidentView,
    MailedTerms,
    decoded_terms,
    incident_view,
    incident_view_of,
    queue_order,
    terms_of,
    views,
)
from collector.store.schema import (
    incident_events,
    incidents,
    target_alerts,
)

#: Who the collector itself is, in incident history.
SYSTEM_ACTOR = "faultdesk"


#: The writes of every incident, built once: building a statement costs more than running it.
_INSERT_INCIDENT = hot_insert(
    incidents,
    (
        "fault_id", "customer_id", "tier", "covered", "severity", "status", "opened_at",
        "response_due_at", "policy",
    ),
)  # fmt: skip
_INSERT_EVENT = hot_insert(
    incident_events, ("incident_id", "at", "kind", "actor", "detail", "public")
)


def open_incident(
    conn: Connection,
    *,
    fault_id: int,
    customer_id: str,
    tier: str,
    covered: bool,
    severity: str,
    opened_at: datetime,
    response_due_at: datetime | None,
    policy: dict[str, Any],
) -> int:
    row = dict(
        fault_id=fault_id, customer_id=customer_id, tier=tier, covered=covered,
        severity=severity, status="open", opened_at=opened_at,
        response_due_at=response_due_at, policy=policy,
    )  # fmt: skip
    incident_id = _INSERT_INCIDENT.insert(conn, row)
    terms = f"under {tier}" if covered else f"not covered ({tier})"
    record_event(conn, incident_id, opened_at, "opened", SYSTEM_ACTOR, f"{severity}, {terms}")
    return incident_id


def list_incidents(
    conn: Connection, *, open_only: bool = True, limit: int = 200
) -> list[IncidentView]:
    """Open incidents in queue order (``queue_order``); with ``open_only`` False, followed by
    closed ones, most recently closed first."""
    still_open = [
        incident_view(r) for r in conn.execute(views().where(incidents.c.closed_at.is_(None)))
    ]
    found = sorted(still_open, key=queue_order)
    if not open_only and len(found) < limit:
        closed = (
            views()
            .where(incidents.c.closed_at.is_not(None))
            .order_by(incidents.c.closed_at.desc(), incidents.c.id.desc())
            .limit(limit - len(found))
        )
        found.extend(incident_view(row) for row in conn.execute(closed))
    return found[:limit]


#: The hot lookups, built once: building a statement costs more than running it.
_BY_ID = views().where(incidents.c.id == bindparam("incident_id"))
_BY_FAULT = views().where(incidents.c.fault_id == bindparam("fault_id"))
#: Read at every SLA sweep, with every open covered incident: on SQLite's own cursor.
_OPEN_COVERED = HotStatement(
    views(cast(incidents.c.policy, Text))  # decoded by ``decoded_terms``
    .where(
        incidents.c.closed_at.is_(None),
        incidents.c.resolved_at.is_(None),  # a cleared fault resolves it: its clocks have ended
        incidents.c.covered.is_(True),
    )
    .order_by(incidents.c.id)
)


def get_incident(conn: Connection, incident_id: int) -> IncidentView | None:
    row = conn.execute(_BY_ID, {"incident_id": incident_id}).first()
    return incident_view(row) if row else None


_AMONG = (
    views().where(incidents.c.id.in_(bindparam("ids", expanding=True))).order_by(incidents.c.id)
)


def incidents_among(conn: Connection, incident_ids: Iterable[int]) -> list[IncidentView]:
    """Those of the incidents that exist, by id."""
    ids = sorted(set(incident_ids))
    if len(ids) == 1:  # one id binds cheaper than a list of them
        found = get_incident(conn, ids[0])
        return [found] if found else []
    return [incident_view(row) for row in conn.execute(_AMONG, {"ids": ids})] if ids else []


def incident_for_fault(conn: Connection, fault_id: int) -> IncidentView | None:
    row = conn.execute(_BY_FAULT, {"fault_id": fault_id}).first()
    return incident_view(row) if row else None


def open_for_customer(conn: Connection, customer_id: str) -> list[IncidentView]:
    query = views().where(incidents.c.customer_id == customer_id, incidents.c.closed_at.is_(None))
    return [incident_view(row) for row in conn.execute(query.order_by(incidents.c.id))]


def customer_incidents(
    conn: Connection, customer_id: str, *, open_only: bool = False, limit: int = 200
) -> list[IncidentView]:
    """One customer's incidents, newest first."""
    query = (
        views()
        .where(incidents.c.customer_id == customer_id)
        .order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(incidents.c.closed_at.is_(None))
    return [incident_view(row) for row in conn.execute(query)]


def open_covered(conn: Connection) -> list[IncidentView]:
    """Open incidents a contract covers: those with targets to watch."""
    rows = _OPEN_COVERED.mappings(conn, {})
    return [incident_view_of(row, decoded_terms(row["policy"])) for row in rows]


_TERMS_BY_FAULT = select(
    incidents.c.id,
    incidents.c.opened_at,
    incidents.c.tier,
    incidents.c.response_due_at,
    incidents.c.policy,
).where(incidents.c.fault_id == bindparam("fault_id"))


def mailed_terms(conn: Connection, fault_id: int) -> MailedTerms | None:
    """The fault's incident as its mail quotes it; None when it has no incident."""
    row = conn.execute(_TERMS_BY_FAULT, {"fault_id": fault_id}).first()
    if row is None:
        return None
    return terms_of(row.id, row.opened_at, row.tier, row.response_due_at, row.policy)


_COVERED_BY_FAULT = select(incidents.c.covered).where(incidents.c.fault_id == bindparam("fault_id"))


def covered_for_fault(conn: Connection, fault_id: int) -> bool | None:
    """Whether the fault's incident is covered by a contract; None when it has no incident."""
    covered = conn.execute(_COVERED_BY_FAULT, {"fault_id": fault_id}).scalar_one_or_none()
    return None if covered is None else bool(covered)


#: What resolving reads of the incident: its first response for the timeline, and its terms
#: for the recovery mail.
_RESOLVED_COLUMNS = (
    incidents.c.id,
    incidents.c.responded_at,
    incidents.c.response_due_at,
    incidents.c.opened_at,
    incidents.c.tier,
    incidents.c.policy,
)
_UNRESOLVED = (
    incidents.c.closed_at.is_(None),
    incidents.c.resolved_at.is_(None),
)
_UNRESOLVED_OF_FAULT = select(*_RESOLVED_COLUMNS).where(
    incidents.c.fault_id == bindparam("fault_id"), *_UNRESOLVED
)
_RESOLVE = (
    update(incidents)
    .where(incidents.c.id == bindparam("incident_id"))
    .values(status="resolved", resolved_at=bindparam("at"))
)
#: Both in one statement where the database returns from an update (a fault has one incident),
#: run on SQLite's own cursor: every fault that clears runs it.
_RESOLVE_OF_FAULT = HotStatement(
    update(incidents)
    .where(incidents.c.fault_id == bindparam("of_fault"), *_UNRESOLVED)
    .values(status="resolved", resolved_at=bindparam("at"))
    .returning(*_RESOLVED_COLUMNS)
)


def resolve_for_fault(conn: Connection, fault_id: int, at: datetime) -> MailedTerms | None:
    """The fault cleared: its incident, if it has one and nobody resolved it yet, is resolved,
    with the outcome of its first-response target on the timeline. Operators close it.
    Returns the terms of the incident it resolved, as ``mailed_terms`` reads them."""
    row: Mapping[Any, Any] | None
    if conn.dialect.update_returning:
        found = _RESOLVE_OF_FAULT.mappings(conn, {"of_fault": fault_id, "at": at})
        row = found[0] if found else None
    else:
        read = conn.execute(_UNRESOLVED_OF_FAULT, {"fault_id": fault_id}).first()
        row = None if read is None else read._mapping
        if row is not None:
            conn.execute(_RESOLVE, {"incident_id": row["id"], "at": at})
    if row is None:
        return None
    detail = "the fault cleared"
    if row["responded_at"] is None:
        detail += " before any response; " + _response_words(row["response_due_at"], at)
    record_event(conn, row["id"], at, "resolved", SYSTEM_ACTOR, detail)
    return terms_of(row["id"], row["opened_at"], row["tier"], row["response_due_at"], row["policy"])


def _response_words(due: datetime | None, at: datetime) -> str:
    outcome = target_outcome(due, None, at)
    if due is None or outcome is None:
        return "no first-response target applied"
    when = stored_utc(due)  # a page shows it in its reader's zone
    if outcome is Outcome.MET:
        return f"first-response target met (due {when})"
    return f"first-response target breached (due {when}, {late_by(due, at)} late)"


@cache
def _transition(stamp: str, closes: bool) -> HotStatement:
    """The compare-and-set update of a lifecycle step stamping ``stamp`` (and ``closed_at``
    when it ``closes``), built once per step: building a statement costs more than running it.
    Run on SQLite's own cursor: operators and the simulation step incidents often."""
    at = bindparam("at", type_=incidents.c[stamp].type)
    values = {"status": bindparam("to_status"), stamp: at}
    if closes:
        values["closed_at"] = at
    return HotStatement(
        update(incidents)
        .where(
            incidents.c.id == bindparam("incident_id"),
            incidents.c.status == bindparam("from_status"),
        )
        .values(values)
    )


def transition(
    conn: Connection,
    incident_id: int,
    *,
    from_status: str,
    to_status: str,
    stamp: str,
    at: datetime,
) -> bool:
    """Move from ``from_status`` to ``to_status`` and set the ``stamp`` column to ``at``;
    False when the incident was not in ``from_status`` any more."""
    params = {"incident_id": incident_id, "from_status": from_status, "to_status": to_status}
    return bool(_transition(stamp, to_status == "closed").rowcount(conn, {**params, "at": at}))


def set_terms(
    conn: Connection,
    incident_id: int,
    *,
    tier: str,
    covered: bool,
    policy: dict[str, Any],
    response_due_at: datetime | None,
) -> None:
    """New contract terms; SLA mail already sent was about the old terms, so it may go again."""
    conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id)
        .values(
            tier=tier,
            covered=covered,
            policy=policy,
            response_due_at=response_due_at,
            sla_warned_at=None,
            sla_breached_at=None,
        )
    )


def grant_access(conn: Connection, incident_id: int, *, by: str, at: datetime) -> bool:
    """Record that the customer gave access; False when it was recorded already."""
    result = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.access_granted_at.is_(None))
        .values(access_granted_at=at, access_granted_by=by[:100])
    )
    return bool(result.rowcount)


def raise_severity(
    conn: Connection, incident_id: int, severity: str, policy: dict[str, Any]
) -> None:
    """The incident's fault got worse: its severity and terms (``incident_terms.raised_policy``)."""
    conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id)
        .values(severity=severity, policy=policy)
    )


def record_moment(conn: Connection, incident_id: int, column: str, at: datetime) -> bool:
    """Stamp a parts-lifecycle moment once; False when it was recorded already."""
    stamp = incidents.c[column]
    result = conn.execute(
        update(incidents).where(incidents.c.id == incident_id, stamp.is_(None)).values({column: at})
    )
    return bool(result.rowcount)


def claim_target_alert(
    conn: Connection, incident_id: int, target: str, kind: str, at: datetime
) -> bool:
    """Claim the right to send one warning or breach mail for a target: True for the caller
    that records it first."""
    query = select(target_alerts.c.id).where(
        target_alerts.c.incident_id == incident_id,
        target_alerts.c.target == target,
        target_alerts.c.kind == kind,
    )
    if conn.execute(query).first() is not None:
        return False
    conn.execute(
        insert(target_alerts).values(incident_id=incident_id, target=target, kind=kind, at=at)
    )
    return True


def set_response_due(conn: Connection, incident_id: int, due: datetime | None) -> None:
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(response_due_at=due))


def mark_sla_mail(conn: Connection, incident_id: int, column: str, at: datetime) -> bool:
    """Claim the right to send one SLA mail (``sla_warned_at`` or ``sla_breached_at``): True
    for the one caller that sets it first."""
    stamp = incidents.c[column]
    result = conn.execute(
        update(incidents).where(incidents.c.id == incident_id, stamp.is_(None)).values({column: at})
    )
    return bool(result.rowcount)


def record_event(
    conn: Connection,
    incident_id: int,
    at: datetime,
    kind: str,
    actor: str,
    detail: str,
    *,
    public: bool = False,
) -> None:
    _INSERT_EVENT.insert(
        conn,
        dict(incident_id=incident_id, at=at, kind=kind, actor=actor, detail=detail, public=public),
    )


def events(conn: Connection, incident_id: int) -> list[Any]:
    query = select(incident_events).where(incident_events.c.incident_id == incident_id)
    return list(conn.execute(query.order_by(incident_events.c.at, incident_events.c.id)))
