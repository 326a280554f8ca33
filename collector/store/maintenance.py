"""Maintenance windows: faults inside one are recorded but not mailed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from collector.domain.maintenance import MaintenanceWindow
from collector.store.schema import maintenance_windows


def add_window(
    conn: Connection, window: MaintenanceWindow, customer_id: str, created_by: str, now: datetime
) -> int:
    result = conn.execute(
        insert(maintenance_windows).values(
            customer_id=customer_id,
            host_id=window.host_id,
            spec=window.to_json(),
            created_by=created_by,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def end_window(conn: Connection, window_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id, maintenance_windows.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    return bool(result.rowcount)


def active_windows(conn: Connection) -> list[MaintenanceWindow]:
    """Windows not ended by hand; whether one is in force at a moment is the domain's call."""
    rows = conn.execute(
        select(maintenance_windows.c.spec).where(maintenance_windows.c.ended_at.is_(None))
    )
    return [MaintenanceWindow.from_json(spec) for (spec,) in rows]
