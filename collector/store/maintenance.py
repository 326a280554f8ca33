"""Maintenance windows: faults inside one are recorded but not mailed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from collector.domain.maintenance import MaintenanceWindow
from collector.store.hot_statements import HotStatement
from collector.store.schema import hosts, maintenance_windows


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


#: Built once, and run on SQLite's own cursor: every run of the engine reads it.
_ACTIVE = HotStatement(select(maintenance_windows).where(maintenance_windows.c.ended_at.is_(None)))


def active_windows(conn: Connection) -> list[MaintenanceWindow]:
    """Windows not ended by hand, with their ids; whether one is in force at a moment is the
    domain's call."""
    return [_stored(row).window for row in _ACTIVE.mappings(conn, {})]


@dataclass(frozen=True)
class StoredWindow:
    """A window as stored: the domain's window (id and hand-ending filled in), and its author."""

    id: int
    customer_id: str
    window: MaintenanceWindow
    created_by: str
    created_at: datetime

    @property
    def host_id(self) -> str | None:
        return self.window.host_id

    @property
    def ended_at(self) -> datetime | None:
        """When an operator ended it by hand."""
        return self.window.ended_at

    def is_over(self, now: datetime) -> bool:
        """Ended by hand, or past its last moment; an open-ended recurring window never is."""
        w = self.window
        if w.ended_at is not None and w.ended_at <= now:
            return True
        if w.ends_at is None:
            return False
        # A recurring window's last occurrence starts no later than ends_at and runs its length.
        last_moment = w.ends_at + timedelta(seconds=0 if w.frequency == "once" else w.duration_s)
        return now >= last_moment


def _stored(value: Mapping[Any, Any]) -> StoredWindow:
    """The window of a row's columns, by name."""
    # The spec was written before the row had an id, and ending by hand only sets the column.
    spec = MaintenanceWindow.from_json(value["spec"])
    window = replace(spec, window_id=str(value["id"]), ended_at=value["ended_at"])
    return StoredWindow(
        value["id"], value["customer_id"], window, value["created_by"], value["created_at"]
    )


def get_window(conn: Connection, window_id: int) -> StoredWindow | None:
    row = conn.execute(select(maintenance_windows).where(maintenance_windows.c.id == window_id))
    found = row.first()
    return _stored(found._mapping) if found else None


def list_windows(
    conn: Connection, *, customer_id: str | None = None, host_id: str | None = None
) -> list[StoredWindow]:
    """Windows newest first: of one customer, or covering one host (its own and its customer's)."""
    table = maintenance_windows
    query = select(table).order_by(table.c.id.desc())
    if customer_id is not None:
        query = query.where(table.c.customer_id == customer_id)
    if host_id is not None:
        owner = select(hosts.c.customer_id).where(hosts.c.id == host_id).scalar_subquery()
        query = query.where(
            or_(
                table.c.host_id == host_id,
                and_(table.c.host_id.is_(None), table.c.customer_id == owner),
            )
        )
    return [_stored(row._mapping) for row in conn.execute(query)]
