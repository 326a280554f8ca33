"""Days the vendor announces closed or on reduced hours, applied to calendars at run time.

Seed 002: "We may occasionally announce days when support levels are reduced during office
shutdowns, e.g. some days over Christmas." An announcement names a calendar (by its name in the
catalogue), a date, the hours kept that day (none: closed) and why. It can only take time away:
the hours kept are clipped to what the calendar would have been open that day, so announcing a
day never makes a target earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from collector.domain.calendar import BusinessCalendar, DateOverride, WorkingHours
from collector.domain.tiers import Target, Tier


@dataclass(frozen=True)
class Announcement:
    calendar: str
    day: date
    hours: tuple[WorkingHours, ...]
    reason: str
    id: int = 0
    #: When it was made and withdrawn (None: not recorded, or not withdrawn).
    announced_at: datetime | None = None
    withdrawn_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return not self.hours

    def in_force_at(self, at: datetime) -> bool:
        """Whether it counted at ``at``: made by then and not yet withdrawn."""
        made = self.announced_at is None or self.announced_at <= at
        return made and (self.withdrawn_at is None or self.withdrawn_at > at)

    def describe(self) -> str:
        kept = "closed" if self.closed else "open " + ", ".join(map(str, self.hours))
        return f"{self.day:%a %d %b %Y} {kept} on {self.calendar}: {self.reason}"


def clip(
    hours: Iterable[WorkingHours], regular: Iterable[WorkingHours]
) -> tuple[WorkingHours, ...]:
    """The parts of ``hours`` inside ``regular``, in order."""
    found = []
    for keep in hours:
        for open_ in regular:
            start, end = max(keep.start, open_.start), min(keep.end, open_.end)
            if start < end:
                found.append(WorkingHours(start, end))
    return tuple(sorted(set(found), key=lambda h: h.start))


def with_announcements(
    calendar: BusinessCalendar, announcements: Iterable[Announcement]
) -> BusinessCalendar:
    """The calendar with the announcements that name it as date overrides."""
    mine = [a for a in announcements if a.calendar == calendar.name]
    if not mine:
        return calendar
    by_day = {o.day: o for o in calendar.overrides}
    for announcement in mine:
        kept = clip(announcement.hours, calendar.hours_on(announcement.day))
        by_day[announcement.day] = DateOverride(announcement.day, kept, announcement.reason)
    return replace(calendar, overrides=tuple(sorted(by_day.values(), key=lambda o: o.day)))


def tier_with_announcements(tier: Tier, announcements: Iterable[Announcement]) -> Tier:
    """Every calendar of the tier (its own and its targets') with the announcements applied."""
    announced = tuple(announcements)
    if not announced:
        return tier

    def target(t: Target) -> Target:
        return replace(t, calendar=with_announcements(t.calendar, announced))

    severities: Mapping[str, Mapping[str, Target]] = {
        severity: {name: target(t) for name, t in targets.items()}
        for severity, targets in tier.severities.items()
    }
    calendar = with_announcements(tier.calendar, announced) if tier.calendar else None
    return replace(tier, severities=severities, calendar=calendar)


def calendars_of(tier: Tier) -> set[str]:
    """The names of every calendar the tier's targets are measured on."""
    return {t.calendar.name for targets in tier.severities.values() for t in targets.values()}
