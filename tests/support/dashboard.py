"""The dashboard tests' seeded data, clock, config and page helpers (their fixtures are in
tests/dashboard/conftest.py).

Hashing a password with argon2 takes most of a second on a busy machine, so the seeded
database (operator included) is built once per session and copied for each test, and tests
that are not about logging in get a signed session cookie instead of going through the form.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, func, select

from collector.config.settings import CollectorConfig
from collector.notify import fanout
from collector.store import faults, inventory, operators, people_schema, schema
from collector.store.database import Database
from collector.store.sessions import start_session
from dashboard import sessions
from tests.support.incidents import stored_incident

START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)  # a Monday morning
OPERATOR, PASSWORD = "olga", "correct horse battery staple"
CONTACT = "pat@acme.example"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_config(tmp_path: Path, **http: object) -> CollectorConfig:
    return CollectorConfig.model_validate(
        {
            "secret_key": "dashboard-tests-secret-0123456789",
            "database": {"url": f"sqlite:///{tmp_path / 'faultdesk.db'}"},
            "http": {"secure_cookies": False, **http},
            "mail": {"noc": "noc@vendor.example"},
        }
    )


@dataclass(frozen=True)
class Seeded:
    fault_id: int
    incident_id: int
    operator: operators.Operator


def seed(conn: Connection, config: CollectorConfig, now: datetime) -> Seeded:
    """A customer with a contact, two hosts, an operator, and one open fault with its mail."""
    inventory.add_customer(conn, "acme", "Acme <Widgets> & Co", now)
    inventory.set_contacts(conn, "acme", [("Pat", CONTACT)])
    inventory.add_host(conn, "pbx1", "acme", now, name="acme-pbx", kind="pbx", interval_s=60)
    inventory.add_host(conn, "web1", "acme", now, interval_s=60)
    operator = operators.add_operator(conn, OPERATOR, PASSWORD, now)
    fault_id, incident_id = stored_incident(
        conn, "pbx1", "acme", now - timedelta(minutes=30),
        check_key="disk:/var", severity="critical", title="Disk /var 97% full",
        detail="see <script>alert(1)</script> https://elsewhere.example/x",
        response_due_at=now + timedelta(hours=3, minutes=20),
    )  # fmt: skip
    fault = faults.get_fault(conn, fault_id)
    assert fault is not None
    fanout.fault_opened(conn, fault, config, now - timedelta(minutes=30), covered=True)
    return Seeded(fault_id, incident_id, operator)


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def log_in(
    client: TestClient[web.Request, web.Application],
    username: str = OPERATOR,
    password: str = PASSWORD,
) -> int:
    """Log in through the form, as a browser would; returns the POST's status."""
    page = await client.get("/login")
    token = csrf_token(await page.text())
    form = {"username": username, "password": password, "csrf_token": token, "next": "/"}
    response = await client.post("/login", data=form, allow_redirects=False)
    return response.status


def snapshot(conn: Connection) -> tuple[object, ...]:
    """Everything an acknowledgement could change: fault rows, their events, the outbox."""
    return (
        [tuple(row) for row in conn.execute(select(schema.faults).order_by(schema.faults.c.id))],
        conn.execute(select(func.count()).select_from(schema.fault_events)).scalar(),
        conn.execute(select(func.count()).select_from(schema.outbox)).scalar(),
    )


def fault_row(conn: Connection, fault_id: int) -> Any:
    return conn.execute(select(schema.faults).where(schema.faults.c.id == fault_id)).one()


def ack_path(conn: Connection, recipient: str = CONTACT, fault_id: int | None = None) -> str:
    """The path of the acknowledgement link in the first mail to ``recipient`` (about a fault)."""
    query = select(schema.outbox.c.body).where(schema.outbox.c.recipient == recipient)
    if fault_id is not None:
        query = query.where(schema.outbox.c.fault_id == fault_id)
    body = conn.scalars(query.order_by(schema.outbox.c.id)).first()
    match = re.search(r"https?://[^/\s]+(/ack/\S+)", body or "")
    assert match, f"no ack link in the mail to {recipient}"
    return match.group(1)


@dataclass(frozen=True)
class LiveCollector:
    base_url: str
    config: CollectorConfig
    db: Database


def session_cookie(
    db: Database, config: CollectorConfig, kind: str, account_id: int, now: datetime
) -> str:
    """A signed-in session's cookie value, its row in the database (no argon2 round)."""
    expires = now + sessions.SESSION_TTL
    secret = db.transaction(start_session, kind, account_id, now, expires)
    return sessions.encode(config.secret_key, sessions.new_session(now, secret))


async def browser_session_cookie(live: LiveCollector) -> dict[str, str]:
    """A browser cookie logging the seeded operator in (no argon2 round through the form)."""

    def the_operator_id(conn: Connection) -> int:
        query = select(people_schema.operators.c.id).where(
            people_schema.operators.c.username == OPERATOR
        )
        return int(conn.scalar(query) or 0)

    return await browser_cookie(live, "operator", await live.db.read(the_operator_id))


async def browser_cookie(live: LiveCollector, kind: str, account_id: int) -> dict[str, str]:
    """A browser cookie signing ``account_id`` in (an operator or a customer user)."""
    value = await asyncio.to_thread(
        session_cookie, live.db, live.config, kind, account_id, datetime.now(UTC)
    )
    return {"name": sessions.COOKIE, "value": value, "url": live.base_url}
