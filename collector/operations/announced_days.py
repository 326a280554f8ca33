"""The announced days that affect one customer, as the customer reads them.

An announcement names a calendar; it affects a customer when their contract's tier measures
its hours or any target on that calendar. The hours kept are what the clock really counts (the
announcement clipped to the day's regular hours, as ``collector.domain.announcements`` applies
it), shown on the customer's own wall clock: a New York customer of a London calendar reads a
morning kept 09:00-12:00 GMT as 04:00-07:00 EST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.announcements import with_announcements
from collector.domain.calendar import BusinessCalendar, Interval
from collector.domain.tiers import Tier
from collector.operations.contract_words import TARGET_WORDS
from collector.store import announcements as announcement_store
from collector.store import inventory


@dataclass(frozen=True)
class AnnouncedDay:
    #: The date on the announcing calendar's wall clock.
    day: date
    closed: bool
    #: The hours kept that day, on the customer's wall clock ("04:00-07:00 EST").
    hours: list[str]
    #: What the day would have had without the announcement, the same way.
    regular: list[str]
    reason: str
    #: What it moves, in plain words: "support hours", "first response", ...
    affects: list[str]


def customer_zone(
    conn: Connection, customer_id: str, tier: Tier | None, config: CollectorConfig
) -> str:
    """The customer's own zone: theirs on record, else their tier's calendar's, else the
    vendor's display zone."""
    own = inventory.customer_locale(conn, customer_id).timezone
    if own:
        return own
    if tier is not None and tier.calendar is not None:
        return tier.calendar.zone
    return config.dashboard.timezone


def customer_tier(
    conn: Connection, customer_id: str, now: datetime, config: CollectorConfig
) -> Tier | None:
    contract = inventory.current_contract(conn, customer_id, now)
    return catalogue_for(config).get(contract.tier) if contract else None


def _calendars(tier: Tier) -> dict[str, tuple[BusinessCalendar, list[str]]]:
    """Each calendar the tier counts on, with what it counts there."""
    found: dict[str, tuple[BusinessCalendar, list[str]]] = {}
    if tier.calendar is not None:
        found[tier.calendar.name] = (tier.calendar, ["support hours"])
    for targets in tier.severities.values():
        for name, target in targets.items():
            words = TARGET_WORDS.get(name, name.replace("_", " "))
            affects = found.setdefault(target.calendar.name, (target.calendar, []))[1]
            if words not in affects:
                affects.append(words)
    return found


def _span(interval: Interval, zone: ZoneInfo) -> str:
    start, end = interval.start.astimezone(zone), interval.end.astimezone(zone)
    until = "24:00" if end.date() > start.date() and end.time() == time() else f"{end:%H:%M}"
    return f"{start:%H:%M}-{until} {start:%Z}"


def announced_days(
    conn: Connection, customer_id: str, now: datetime, config: CollectorConfig
) -> list[AnnouncedDay]:
    """Announced days from today on (on each calendar's clock), earliest first."""
    tier = customer_tier(conn, customer_id, now, config)
    if tier is None:
        return []
    zone = ZoneInfo(customer_zone(conn, customer_id, tier, config))
    calendars = _calendars(tier)
    found = []
    for announcement in announcement_store.live(conn):
        if announcement.calendar not in calendars:
            continue
        calendar, affects = calendars[announcement.calendar]
        if announcement.day < calendar.local(now).date():
            continue
        kept = with_announcements(calendar, [announcement]).intervals_on(announcement.day)
        regular = calendar.intervals_on(announcement.day)
        found.append(
            AnnouncedDay(
                day=announcement.day,
                closed=not kept,
                hours=[_span(i, zone) for i in kept],
                regular=[_span(i, zone) for i in regular],
                reason=announcement.reason,
                affects=affects,
            )
        )
    return sorted(found, key=lambda d: d.day)
