"""Operators' Users page: invite a customer user by mail, and sign one out everywhere."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from collector.config.settings import CollectorConfig
from collector.store import customer_users, schema
from collector.store.database import Database
from collector.store.sessions import live_session, start_session
from tests.support.dashboard import START, Seeded, csrf_token

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
