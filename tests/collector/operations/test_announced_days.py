"""The announced days a customer is shown: those on their tier's calendars, from today on,
with the hours kept on the customer's own wall clock; and the numbers they call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.announcements import Announcement
from collector.domain.calendar import WorkingHours
from collector.operations.announced_days import AnnouncedDay, announced_days
from collector.operations.contract_words import support_phones
from collector.store import announcements, inventory
from collector.store.database import Database
from tests.support.collector import collector_config
from tests.support.incidents import add_customer

# Monday 2 November 2026, 10:00 UTC = 10:00 in London.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _announce(conn: Connection, calendar: str, day: date, hours: str, reason: str) -> int:
    kept = tuple(WorkingHours.parse(h) for h in hours.split(",") if h)
    made = Announcement(calendar, day, kept, reason)
    return announcements.announce(conn, made, by="olga", at=MONDAY)


def _days(conn: Connection, config: CollectorConfig) -> list[AnnouncedDay]:
    add_customer(conn, "acme", "cat1", MONDAY)  # cat1 runs on uk-office
    _announce(conn, "uk-office", date(2026, 12, 29), "", "Office shutdown")
    _announce(conn, "uk-office", date(2026, 12, 24), "09:00-12:00", "Christmas Eve")
    _announce(conn, "uk-office", date(2026, 11, 1), "", "Yesterday: over")
    _announce(conn, "uk-extended", date(2026, 12, 30), "", "Cat2's calendar, not cat1's")
    withdrawn = _announce(conn, "uk-office", date(2026, 12, 31), "", "Withdrawn")
    announcements.withdraw(conn, withdrawn, by="olga", at=MONDAY)
    return announced_days(conn, "acme", MONDAY, config)


def test_it_lists_the_days_on_the_customers_calendars_from_today_on(
    db: Database, config: CollectorConfig
) -> None:
    days = db.transaction(_days, config)
    assert [(d.day, d.closed, d.reason) for d in days] == [
        (date(2026, 12, 24), False, "Christmas Eve"),
        (date(2026, 12, 29), True, "Office shutdown"),
    ]
    assert days[0].hours == ["09:00-12:00 GMT"] and days[0].regular == ["09:00-17:00 GMT"]
    assert days[1].hours == []
    assert days[0].affects == ["support hours", "first response"]  # cat1 sets no other


def test_it_shows_the_hours_kept_on_the_customers_own_clock(
    db: Database, config: CollectorConfig
) -> None:
    def in_new_york(conn: Connection) -> list[AnnouncedDay]:
        found = _days(conn, config)
        inventory.set_customer_terms(
            conn, "acme", access=None, timezone="America/New_York", region=None
        )
        return found + announced_days(conn, "acme", MONDAY, config)

    days = db.transaction(in_new_york)
    assert days[0].hours == ["09:00-12:00 GMT"]  # before the customer's zone was set
    assert days[2].hours == ["04:00-07:00 EST"] and days[2].regular == ["04:00-12:00 EST"]


def test_it_shows_no_days_to_a_customer_without_a_contract(
    db: Database, config: CollectorConfig
) -> None:
    def without(conn: Connection) -> list[AnnouncedDay]:
        add_customer(conn, "acme", None, MONDAY)
        _announce(conn, "uk-office", date(2026, 12, 29), "", "Office shutdown")
        return announced_days(conn, "acme", MONDAY, config)

    assert db.transaction(without) == []


def test_it_gives_the_tiers_numbers_before_the_vendors_general_ones(tmp_path: Path) -> None:
    config = collector_config(
        f"sqlite:///{tmp_path / 'x.db'}",
        tmp_path,
        portal={"support_phones": ["Support line: +44 20 7946 0000", "01225 580025"]},
    )
    cat4 = catalogue_for(config)["cat4"]
    assert support_phones(cat4, config) == [
        "01225 580025",
        "your 24-hour 0800 access number (in your Cat4 contract)",
        "Support line: +44 20 7946 0000",
    ]
    assert support_phones(None, config) == ["Support line: +44 20 7946 0000", "01225 580025"]
