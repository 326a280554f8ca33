"""The vendor's own network seen down: one row per episode, so the NOC is told once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

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
