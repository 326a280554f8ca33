"""Operators' Users page: invite a customer user by mail, and sign one out everywhere."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from collector.config.settings import CollectorConfig
from collector.store import customer_users, schema
from collector.store.database import Database
from collector.store.operators import add_operator
from collector.store.sessions import live_session, start_session
from dashboard.sessions import COOKIE
from tests.support.dashboard import START, Seeded, csrf_token, session_cookie

Client = TestClient[web.Request, web.Application]


async def _post(client: Client, action: str, **fields: str) -> int:
    page = await client.get("/users")
    form = {"csrf_token": csrf_token(await page.text()), **fields}
    return (await client.post(action, data=form, allow_redirects=False)).status


async def test_it_invites_a_customer_user_from_the_dashboard(
    operator_client: Client, db: Database
) -> None:
    fields = {"email": "pat@acme.example", "customer_id": "acme", "role": "customer-admin"}
    assert await _post(operator_client, "/users", **fields) == 303
    assert await _post(operator_client, "/users", **fields) == 409
    assert await _post(operator_client, "/users", **{**fields, "customer_id": "nobody"}) == 404
    html = await (await operator_client.get("/users")).text()
    assert 'data-email="pat@acme.example"' in html
    sent = db.transaction(
        lambda conn: conn.scalars(
            select(schema.outbox.c.recipient).where(schema.outbox.c.kind == "account_invite")
        ).all()
    )
    assert sent == ["pat@acme.example"]


async def test_it_signs_a_customer_user_out_everywhere(
    operator_client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    user = db.transaction(customer_users.add_user, "acme", "pat@acme.example", "customer", START)
    secret = db.transaction(start_session, "customer", user.id, START, START.replace(hour=20))
    assert await _post(operator_client, f"/users/{user.id}/end-sessions") == 303
    assert db.transaction(live_session, secret, START) is None
    assert await _post(operator_client, "/users/99999/end-sessions") == 404


async def test_it_shows_admins_the_audit_log_filtered(
    operator_client: Client, db: Database
) -> None:
    fields = {"email": "pat@acme.example", "customer_id": "acme", "role": "customer"}
    assert await _post(operator_client, "/users", **fields) == 303
    html = await (await operator_client.get("/audit?action=user.added&customer=acme")).text()
    assert html.count('data-action="user.added"') == 1
    empty = await (await operator_client.get("/audit?action=login.failed")).text()
    assert 'data-action="' not in empty
    assert (await operator_client.get("/audit?since=yesterday")).status == 400


async def test_it_keeps_the_audit_log_from_operators_who_are_not_admins(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    otto = db.transaction(add_operator, "otto", "a long enough password", START, "operator")
    cookie = session_cookie(db, config, "operator", otto.id, START)
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    assert (await client.get("/faults")).status == 200
    assert (await client.get("/audit")).status == 404
    assert "/audit" not in await (await client.get("/")).text()
