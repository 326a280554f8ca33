"""A second customer beside the dashboard tests' seeded one, and customer users of each, for
the portal's tests (sessions by cookie: no argon2 round)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.announcements import Announcement
from collector.domain.calendar import WorkingHours
from collector.domain.maintenance import MaintenanceWindow
from collector.store import announcements, customer_users, inventory, maintenance
from collector.store.database import Database
from tests.support.dashboard import START, session_cookie
from tests.support.incidents import stored_incident


@dataclass(frozen=True)
class OtherCustomer:
    """Globex: what an Acme user must never see."""

    host_id: str
    fault_id: int
    incident_id: int
    user_id: int
    window_id: int


def add_globex(conn: Connection, now: datetime) -> OtherCustomer:
    inventory.add_customer(conn, "globex", "Globex Corp", now)
    inventory.set_contacts(conn, "globex", [("Hank", "hank@globex.example")])
    inventory.add_host(conn, "gx1", "globex", now, name="globex-secret-host", interval_s=60)
    fault_id, incident_id = stored_incident(
        conn, "gx1", "globex", now - timedelta(minutes=5),
        check_key="disk:/srv", severity="major", title="Globex private disk trouble",
        response_due_at=now + timedelta(hours=4),
    )  # fmt: skip
    user = customer_users.add_user(conn, "globex", "hank@globex.example", "customer", now)
    window = MaintenanceWindow(
        window_id="",
        frequency="once",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        host_id="gx1",
        reason="Globex private firmware upgrade",
    )
    window_id = maintenance.add_window(conn, window, "globex", "olga", now)
    return OtherCustomer("gx1", fault_id, incident_id, user.id, window_id)


#: Words only Globex's rows hold: none may appear in anything an Acme user is shown.
GLOBEX_MARKERS = ("globex", "gx1", "hank@", "Globex private")


def add_acme_user(conn: Connection, now: datetime, role: str = "customer-admin") -> int:
    return customer_users.add_user(conn, "acme", "pat@acme.example", role, now, name="Pat").id


def customer_cookie(db: Database, config: CollectorConfig, user_id: int, now: datetime) -> str:
    return session_cookie(db, config, "customer", user_id, now)


def announce_christmas(conn: Connection) -> None:
    """Acme on cat1 (the uk-office calendar); a shutdown day and a short day announced on it,
    and one on another tier's calendar."""
    inventory.add_contract(conn, "acme", "cat1", START, None)
    for calendar, day, hours, reason in (
        ("uk-office", date(2024, 12, 23), (), "Christmas shutdown"),
        ("uk-office", date(2024, 12, 24), ("09:00-12:00",), "Christmas Eve, mornings only"),
        ("uk-extended", date(2024, 12, 27), (), "Cat2 staff party"),
    ):
        kept = tuple(WorkingHours.parse(h) for h in hours)
        made = Announcement(calendar, day, kept, reason)
        announcements.announce(conn, made, by="olga", at=START)
