"""Announcing closed or reduced-hours days on a calendar, and withdrawing them.

Each takes effect at once, without a restart: every clock computation reads the announcements in
force (``collector.engine.incident_clock``). Open incidents whose targets run on the calendar are
recalculated in the same transaction, with the reason on their timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from pydantic import Field, field_validator
from sqlalchemy import Connection

from collector.domain.access import AccessRules
from collector.domain.announcements import Announcement, calendars_of
from collector.domain.calendar import WorkingHours
from collector.domain.sla import TargetClock, format_local
from collector.domain.tiers import Tier
from collector.engine.incident_clock import DEFAULT_RULES, incident_clocks
from collector.operations.fields import Name, StrictInput
from collector.operations.incidents import recompute_due
from collector.store import announcements as store
from collector.store import incidents as incident_store
from collector.store.announcements import AnnouncementRow
from collector.store.incident_view import IncidentView


class AnnouncementRefused(ValueError):
    """The announcement cannot be made or withdrawn; ``field`` names what is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AnnouncementNotFound(LookupError):
    pass


class NewAnnouncement(StrictInput):
    calendar: str = Field(min_length=1, max_length=64)
    day: date
    #: The hours kept that day, e.g. ["09:00-12:00"]; empty: closed all day.
    hours: list[str] = Field(default_factory=list, max_length=6)
    reason: Name = Field(min_length=1, max_length=200)

    @field_validator("hours")
    @classmethod
    def _parse(cls, value: list[str]) -> list[str]:
        return [str(WorkingHours.parse(text)) for text in value]


def known_calendars(catalogue: Mapping[str, Tier]) -> set[str]:
    return {name for tier in catalogue.values() for name in calendars_of(tier)}


def _today_on(catalogue: Mapping[str, Tier], calendar: str, now: datetime) -> date:
    """Today's date on the calendar's own wall clock."""
    for tier in catalogue.values():
        for targets in tier.severities.values():
            for target in targets.values():
                if target.calendar.name == calendar:
                    return target.calendar.local(now).date()
    raise LookupError(calendar)


def announce(
    conn: Connection,
    body: NewAnnouncement,
    *,
    by: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules = DEFAULT_RULES,
) -> tuple[AnnouncementRow, list[int]]:
    """Record the announcement; returns it and the open incidents whose targets moved."""
    known = known_calendars(catalogue)
    if body.calendar not in known:
        names = ", ".join(sorted(known))
        raise AnnouncementRefused(f"unknown calendar {body.calendar!r}; one of {names}", "calendar")
    today = _today_on(catalogue, body.calendar, now)
    if body.day < today:
        # A day gone by has been counted already: announcing it would rewrite history.
        raise AnnouncementRefused(
            f"day {body.day} is already past on {body.calendar} (today there is {today}): "
            "announce today or a later day",
            "day",
        )
    clash = [a for a in store.live(conn) if (a.calendar, a.day) == (body.calendar, body.day)]
    if clash:
        raise AnnouncementRefused(
            f"{body.day} is already announced on {body.calendar} (#{clash[0].id}): "
            "withdraw that one first",
            "day",
        )
    hours = tuple(WorkingHours.parse(h) for h in body.hours)
    made = Announcement(body.calendar, body.day, hours, body.reason)
    before = open_clocks(conn, body.calendar, now, catalogue, rules)
    announcement_id = store.announce(conn, made, by=by, at=now)
    row = store.get(conn, announcement_id)
    assert row is not None
    reason = f"announced: {row.announcement.describe()}"
    return row, recalculate(conn, before, reason, by, now, catalogue, rules)


def withdraw(
    conn: Connection,
    announcement_id: int,
    *,
    by: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules = DEFAULT_RULES,
) -> tuple[AnnouncementRow, list[int]]:
    row = store.get(conn, announcement_id)
    if row is None:
        raise AnnouncementNotFound(f"no announcement #{announcement_id}")
    before = open_clocks(conn, row.announcement.calendar, now, catalogue, rules)
    if not store.withdraw(conn, announcement_id, by=by, at=now):
        raise AnnouncementRefused(f"announcement #{announcement_id} was already withdrawn")
    reason = f"withdrawn: {row.announcement.describe()}"
    changed = recalculate(conn, before, reason, by, now, catalogue, rules)
    found = store.get(conn, announcement_id)
    assert found is not None
    return found, changed


Clocks = dict[str, TargetClock]


def open_clocks(
    conn: Connection,
    calendar: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules,
) -> list[tuple[IncidentView, Clocks]]:
    """The open incidents with a target still owed on ``calendar``, with their clocks as they
    stand. Resolved ones are left out: their clocks ended."""
    found = []
    for incident in incident_store.open_covered(conn):
        clocks = incident_clocks(conn, incident, catalogue, now, rules)
        if any(clock.calendar.name == calendar for clock in _owed(incident, clocks, now).values()):
            found.append((incident, clocks))
    return found


def _owed(incident: IncidentView, clocks: Clocks, now: datetime) -> Clocks:
    """The clocks of the targets not finished before ``now``: a met target's due time is
    history, which no announcement moves."""
    return {
        name: clock for name, clock in clocks.items() if not incident.finished_before(name, now)
    }


def recalculate(
    conn: Connection,
    before: list[tuple[IncidentView, Clocks]],
    reason: str,
    by: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules,
) -> list[int]:
    """Recalculate each incident; each gets a timeline entry saying why and what moved."""
    for incident, was in before:
        after = _owed(incident, recompute_due(conn, incident, catalogue, now, rules), now)
        moved = [
            f"{name.replace('_', ' ')} due {format_local(clock.due, clock.calendar)} "
            f"{clock.calendar.zone} (was {format_local(was[name].due, clock.calendar)})"
            for name, clock in after.items()
            if name in was and was[name].due != clock.due
        ]
        detail = reason + (f"; {', '.join(moved)}" if moved else "; no target moved")
        incident_store.record_event(conn, incident.id, now, "calendar_changed", by, detail)
    return [incident.id for incident, _ in before]
