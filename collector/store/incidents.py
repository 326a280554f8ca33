"""Incident rows: one per fault, stamped with the contract tier and its response target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from collector.store.schema import customers, faults, hosts, incidents


@dataclass(frozen=True)
class IncidentView:
    id: int
    fault_id: int
    customer_id: str
    customer_name: str
    host_name: str
    title: str
    tier: str
    covered: bool
    severity: str
    status: str
    opened_at: datetime
    response_due_at: datetime | None
    closed_at: datetime | None
    policy: dict[str, Any]


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
    result = conn.execute(
        insert(incidents).values(
            fault_id=fault_id,
            customer_id=customer_id,
            tier=tier,
            covered=covered,
            severity=severity,
            status="open",
            opened_at=opened_at,
            response_due_at=response_due_at,
            policy=policy,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _views() -> Any:
    return (
        select(
            incidents,
            customers.c.name.label("customer_name"),
            hosts.c.name.label("host_name"),
            faults.c.title,
        )
        .join_from(incidents, faults)
        .join(hosts, hosts.c.id == faults.c.host_id)
        .join(customers, customers.c.id == incidents.c.customer_id)
    )


def _view(row: Any) -> IncidentView:
    return IncidentView(
        row.id,
        row.fault_id,
        row.customer_id,
        row.customer_name,
        row.host_name,
        row.title,
        row.tier,
        row.covered,
        row.severity,
        row.status,
        row.opened_at,
        row.response_due_at,
        row.closed_at,
        row.policy,
    )


def list_incidents(conn: Connection, *, open_only: bool = True, limit: int = 200) -> list[Any]:
    query = _views().order_by(incidents.c.opened_at.desc()).limit(limit)
    if open_only:
        query = query.where(incidents.c.closed_at.is_(None))
    return [_view(row) for row in conn.execute(query)]


def incident_for_fault(conn: Connection, fault_id: int) -> IncidentView | None:
    row = conn.execute(_views().where(incidents.c.fault_id == fault_id)).first()
    return _view(row) if row else None


def close_for_fault(conn: Connection, fault_id: int, at: datetime) -> None:
    conn.execute(
        update(incidents)
        .where(incidents.c.fault_id == fault_id, incidents.c.closed_at.is_(None))
        .values(status="resolved", closed_at=at)
    )
