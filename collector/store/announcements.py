"""Announced calendar days as rows: made, listed, withdrawn (never deleted: history stays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from collector.domain.announcements import Announcement
from collector.domain.calendar import WorkingHours
from collector.store.schema import calendar_announcements as table


@dataclass(frozen=True)
class AnnouncementRow:
    announcement: Announcement
    announced_by: str
    announced_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None


def _row(row: Any) -> AnnouncementRow:
    announcement = Announcement(
        calendar=row.calendar,
        day=date.fromisoformat(row.day),
        hours=tuple(WorkingHours.parse(h) for h in row.hours),
        reason=row.reason,
        id=row.id,
        announced_at=row.announced_at,
        withdrawn_at=row.withdrawn_at,
    )
    return AnnouncementRow(
        announcement, row.announced_by, row.announced_at, row.withdrawn_at, row.withdrawn_by
    )


#: Built once: every incident's clocks read it (statement building costs more than the query).
_LIVE = select(table).where(table.c.withdrawn_at.is_(None)).order_by(table.c.day, table.c.id)


def live(conn: Connection) -> list[Announcement]:
    """Every announcement in force (not withdrawn)."""
    return [_row(row).announcement for row in conn.execute(_LIVE)]


#: Withdrawn ones too: a target that finished while one was in force keeps that due time.
_EVERY = select(table).order_by(table.c.day, table.c.id)


def every(conn: Connection) -> list[Announcement]:
    """Every announcement ever made, withdrawn ones too, for the clocks (``in_force_at``)."""
    return [_row(row).announcement for row in conn.execute(_EVERY)]


def listing(conn: Connection, *, include_withdrawn: bool = False) -> list[AnnouncementRow]:
    query = select(table).order_by(table.c.day, table.c.id)
    if not include_withdrawn:
        query = query.where(table.c.withdrawn_at.is_(None))
    return [_row(row) for row in conn.execute(query)]


def get(conn: Connection, announcement_id: int) -> AnnouncementRow | None:
    row = conn.execute(select(table).where(table.c.id == announcement_id)).first()
    return _row(row) if row else None


def announce(conn: Connection, announcement: Announcement, *, by: str, at: datetime) -> int:
    result = conn.execute(
        insert(table).values(
            calendar=announcement.calendar,
            day=announcement.day.isoformat(),
            hours=[str(h) for h in announcement.hours],
            reason=announcement.reason,
            announced_by=by[:100],
            announced_at=at,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def withdraw(conn: Connection, announcement_id: int, *, by: str, at: datetime) -> bool:
    """False when there is no such announcement in force."""
    result = conn.execute(
        update(table)
        .where(table.c.id == announcement_id, table.c.withdrawn_at.is_(None))
        .values(withdrawn_at=at, withdrawn_by=by[:100])
    )
    return bool(result.rowcount)
