"""Contract rules that apply to every customer, whatever their tier."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Seed 002: "One month of Cat1 level support is included in all new installations".
INSTALLATION_TIER = "cat1"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the end of a shorter month.

    31 January plus one month is 28 (or 29) February: the customer keeps a whole month and never
    spills into the next one.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def installation_contract(today: date) -> tuple[str, date, date]:
    """The contract a new customer gets when none is given: ``(tier, starts_on, ends_on)``."""
    return INSTALLATION_TIER, today, add_months(today, 1)


def start_of_day_utc(day: date, zone: str | None = None) -> datetime:
    """A contract day starts at midnight on the customer's wall clock (``zone``; None: UTC),
    stored as the UTC instant it is: a US contract ending 1 January ends at midnight there, not
    at 19:00 the evening before."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone) if zone else UTC)
    return local.astimezone(UTC)


def known_zone(name: str) -> str:
    """``name`` if it is an IANA time zone, else a ValueError saying so."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London"
        ) from None
    return name
