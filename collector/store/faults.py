"""Fault rows and their history; each change is also a ``fault_events`` record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from collector.store.schema import customers, fault_events, faults, hosts


@dataclass(frozen=True)
class FaultView:
    id: int
    host_id: str
    host_name: str
    customer_id: str
    customer_name: str
    check_key: str
    severity: str
    title: str
    detail: str
    opened_at: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_comment: str | None
    last_notified_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def _views() -> Any:
    return (
        select(
            faults,
            hosts.c.name.label("host_name"),
            hosts.c.customer_id,
            customers.c.name.label("customer_name"),
        )
        .join_from(faults, hosts)
        .join(customers, customers.c.id == hosts.c.customer_id)
    )


def _view(row: Any) -> FaultView:
    return FaultView(
        row.id,
        row.host_id,
        row.host_name,
        row.customer_id,
        row.customer_name,
        row.check_key,
        row.severity,
        row.title,
        row.detail,
        row.opened_at,
        row.resolved_at,
        row.acknowledged_at,
        row.acknowledged_by,
        row.ack_comment,
        row.last_notified_at,
    )


def record_event(conn: Connection, fault_id: int, at: datetime, kind: str, detail: str) -> None:
    conn.execute(insert(fault_events).values(fault_id=fault_id, at=at, kind=kind, detail=detail))


def open_fault(
    conn: Connection,
    *,
    host_id: str,
    check_key: str,
    severity: str,
    title: str,
    detail: str,
    at: datetime,
) -> int:
    result = conn.execute(
        insert(faults).values(
            host_id=host_id,
            check_key=check_key,
            severity=severity,
            title=title,
            detail=detail,
            opened_at=at,
        )
    )
    fault_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    record_event(conn, fault_id, at, "opened", f"{severity}: {title}")
    return fault_id


def find_open(conn: Connection, host_id: str, check_key: str) -> FaultView | None:
    row = conn.execute(
        _views().where(
            faults.c.host_id == host_id,
            faults.c.check_key == check_key,
            faults.c.resolved_at.is_(None),
        )
    ).first()
    return _view(row) if row else None


def get_fault(conn: Connection, fault_id: int) -> FaultView | None:
    row = conn.execute(_views().where(faults.c.id == fault_id)).first()
    return _view(row) if row else None


def change_severity(
    conn: Connection, fault_id: int, severity: str, title: str, detail: str, at: datetime
) -> None:
    conn.execute(
        update(faults)
        .where(faults.c.id == fault_id)
        .values(severity=severity, title=title, detail=detail)
    )
    record_event(conn, fault_id, at, "severity", f"now {severity}: {title}")


def resolve(conn: Connection, fault_id: int, at: datetime, detail: str) -> bool:
    """Resolve an open fault; False when it was resolved already (nothing changed)."""
    result = conn.execute(
        update(faults)
        .where(faults.c.id == fault_id, faults.c.resolved_at.is_(None))
        .values(resolved_at=at)
    )
    if result.rowcount:
        record_event(conn, fault_id, at, "resolved", detail)
    return bool(result.rowcount)


def acknowledge(
    conn: Connection, fault_id: int, *, by: str, comment: str, address: str, at: datetime
) -> bool:
    """Record the first acknowledgement; False when the fault was already acknowledged."""
    result = conn.execute(
        update(faults)
        .where(faults.c.id == fault_id, faults.c.acknowledged_at.is_(None))
        .values(acknowledged_at=at, acknowledged_by=by, ack_comment=comment, ack_address=address)
    )
    if result.rowcount:
        note = f"by {by} from {address}" + (f": {comment}" if comment else "")
        record_event(conn, fault_id, at, "acknowledged", note)
    return bool(result.rowcount)


def mark_notified(conn: Connection, fault_id: int, at: datetime) -> None:
    conn.execute(update(faults).where(faults.c.id == fault_id).values(last_notified_at=at))


def list_faults(
    conn: Connection, *, open_only: bool = True, host_id: str | None = None, limit: int = 200
) -> list[FaultView]:
    query = _views().order_by(faults.c.opened_at.desc()).limit(limit)
    if open_only:
        query = query.where(faults.c.resolved_at.is_(None))
    if host_id is not None:
        query = query.where(faults.c.host_id == host_id)
    return [_view(row) for row in conn.execute(query)]


def events(conn: Connection, fault_id: int) -> list[Any]:
    query = select(fault_events).where(fault_events.c.fault_id == fault_id)
    return list(conn.execute(query.order_by(fault_events.c.at, fault_events.c.id)))


def open_counts_by_severity(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(faults.c.severity, func.count())
        .where(faults.c.resolved_at.is_(None))
        .group_by(faults.c.severity)
    )
    return {severity: int(count) for severity, count in rows}
