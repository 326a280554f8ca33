"""Announced calendar days as rows: made, listed, withdrawn (never deleted: history stays)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from collector.domain.announcements import Announcement
from collector.domain.calendar import WorkingHours
from collector.store.hot_statements import HotStatement
from collector.store.schema import calendar_announcements as table


@dataclass(frozen=True)
class AnnouncementRow:
    announcement: Announcement
    announced_by: str
    announced_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None


def _row(value: Mapping[Any, Any]) -> AnnouncementRow:
    """An announcement's row, by column name (a Core row's ``_mapping`` or a hot read's)."""
    announcement = Announcement(
        calendar=value["calendar"],
        day=date.fromisoformat(value["day"]),
        hours=tuple(WorkingHours.parse(h) for h in value["hours"]),
        reason=value["reason"],
        id=value["id"],
        announced_at=value["announced_at"],
        withdrawn_at=value["withdrawn_at"],
    )
    return AnnouncementRow(
        announcement, value["announced_by"], value["announced_at"], value["withdrawn_at"],
        value["withdrawn_by"],
    )  # fmt: skip


#: Built once, and read hot (``hot_statements``): every incident opening reads it.
_LIVE = HotStatement(
    select(table).where(table.c.withdrawn_at.is_(None)).order_by(table.c.day, table.c.id)
)


def live(conn: Connection) -> list[Announcement]:
    """Every announcement in force (not withdrawn)."""
    return [_row(row).announcement for row in _LIVE.mappings(conn)]


#: Withdrawn ones too: a target that finished while one was in force keeps that due time.
#: Read hot (``hot_statements``): the clocks of every SLA sweep and incident step read it.
_EVERY = HotStatement(select(table).order_by(table.c.day, table.c.id))


def every(conn: Connection) -> list[Announcement]:
    """Every announcement ever made, withdrawn ones too, for the clocks (``in_force_at``)."""
    return [_row(row).announcement for row in _EVERY.mappings(conn)]


def listing(conn: Connection, *, include_withdrawn: bool = False) -> list[AnnouncementRow]:
    query = select(table).order_by(table.c.day, table.c.id)
    if not include_withdrawn:
        query = query.where(table.c.withdrawn_at.is_(None))
    return [_row(row._mapping) for row in conn.execute(query)]


def get(conn: Connection, announcement_id: int) -> AnnouncementRow | None:
    row = conn.execute(select(table).where(table.c.id == announcement_id)).first()
    return _row(row._mapping) if row else None


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
