"""The audit log records each action by a person, on SQLite and PostgreSQL, and never holds a
password or a token: sign-ins (good, bad, blocked), acknowledgements, comments, incident steps,
maintenance, users and sessions, through the real application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from collector.app import create_app
from collector.config.settings import CollectorConfig
from collector.operations.signin import ACCOUNT_LIMIT
from collector.store import customer_users, login_failures, people_schema
from collector.store.audit import entries
from collector.store.database import Database
from collector.store.operators import create_token
from collector.web.appkeys import DATABASE
from dashboard.sessions import COOKIE
from tests.support.clock import Clock
from tests.support.dashboard import (
    OPERATOR,
    PASSWORD,
    START,
    Seeded,
    csrf_token,
    log_in,
    make_config,
    seed,
    session_cookie,
)

Client = TestClient[web.Request, web.Application]


@dataclass
class Collector:
    client: Client
    db: Database
    config: CollectorConfig
    seeded: Seeded
    api_token: str


@pytest.fixture
async def collector(database_url: str, tmp_path: Path) -> AsyncIterator[Collector]:
    base = make_config(tmp_path)
    database = base.database.model_copy(update={"url": database_url})
    config = base.model_copy(update={"database": database})
    app = create_app(config, clock=Clock(START), run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        db = app[DATABASE]
        seeded = await db.write(seed, config, START)
        token = await db.write(create_token, OPERATOR, "tests", START)
        yield Collector(client, db, config, seeded, token)


async def _post_form(client: Client, page: str, action: str, **fields: str) -> int:
    html = await (await client.get(page)).text()
    form = {"csrf_token": csrf_token(html), **fields}
    return (await client.post(action, data=form, allow_redirects=False)).status


def _use(client: Client, cookie: str) -> None:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))


async def test_it_records_each_action_by_a_person(collector: Collector) -> None:
    client, db, seeded = collector.client, collector.db, collector.seeded
    auth = {"Authorization": f"Bearer {collector.api_token}"}
    assert await log_in(client, OPERATOR, "wrong password") == 401
    assert await log_in(client) == 303
    incident = f"/incidents/{seeded.incident_id}"
    assert await _post_form(client, incident, f"{incident}/respond", note="on it") == 303
    assert await _post_form(client, "/faults", f"/faults/{seeded.fault_id}/ack") == 303
    window = {
        "scope": "acme/web1",
        "frequency": "once",
        "reason": "disk swap",
        "starts_at": "2024-05-07T12:00",
        "ends_at": "2024-05-07T13:00",
        "timezone": "UTC",
    }
    assert await _post_form(client, "/maintenance", "/maintenance", **window) == 303
    user = {"email": "pat@acme.example", "customer_id": "acme"}
    assert (await client.post("/api/v1/users", json=user, headers=auth)).status == 201
    comment = {"text": "engineer booked", "public": True}
    path = f"/api/v1/incidents/{seeded.incident_id}/comments"
    assert (await client.post(path, json=comment, headers=auth)).status == 201
    assert await _post_form(client, "/", "/logout") == 303
    pat = await db.read(customer_users.user_by_email, "pat@acme.example")
    assert pat is not None
    _use(client, session_cookie(db, collector.config, "customer", pat.id, START))
    ticket = f"/portal/tickets/{seeded.incident_id}"
    assert await _post_form(client, ticket, f"{ticket}/comments", text="thanks") == 303
    assert await _post_form(client, "/portal/", "/sessions/end-all") == 303

    found = [(e.actor, e.action) for e in reversed(await db.read(entries))]
    assert found == [
        (OPERATOR, "login.failed"),
        (f"operator:{OPERATOR}", "login"),
        (f"operator:{OPERATOR}", "POST /incidents/{incident_id}/respond"),
        (f"operator:{OPERATOR}", "POST /faults/{fault_id}/ack"),
        (f"operator:{OPERATOR}", "POST /maintenance"),
        (f"operator:{OPERATOR}", "user.added"),
        (f"operator:{OPERATOR}", "ticket.comment"),
        (f"operator:{OPERATOR}", "logout"),
        ("customer:pat@acme.example", "ticket.comment"),
        ("customer:pat@acme.example", "sessions.ended"),
    ]
    step = next(e for e in await db.read(entries) if e.action.endswith("/respond"))
    assert (step.target, step.detail, step.address) == (
        f"{incident}/respond",
        {"note": "on it"},
        "127.0.0.1",
    )


async def test_it_records_a_lockout_and_never_a_secret(collector: Collector) -> None:
    client, db = collector.client, collector.db
    for _ in range(ACCOUNT_LIMIT - 1):
        await db.write(login_failures.record_failure, OPERATOR, "192.0.2.1", START)
    assert await log_in(client, OPERATOR, "a wrong guess") == 401
    actions = [e.action for e in await db.read(entries)]
    assert actions[:2] == ["login.locked", "login.failed"]
    rows = await db.read(lambda conn: conn.execute(select(people_schema.audit_log)).all())
    text = repr([tuple(r) for r in rows])
    for secret in (PASSWORD, "a wrong guess", collector.api_token):
        assert secret not in text
