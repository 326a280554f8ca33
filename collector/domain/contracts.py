"""Contract rules that apply to every customer, whatever their tier."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time

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


def start_of_day_utc(day: date) -> datetime:
    """Contracts are stored as UTC instants: a contract day starts at midnight UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)
