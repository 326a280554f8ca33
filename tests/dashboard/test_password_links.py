"""Setting a password through the mailed link: it works once, expires, ends old sessions, and
a reset link says nothing about which addresses have accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from collector.config.settings import CollectorConfig
from collector.operations.accounts import (
    INVITE_VALID,
    RESETS_PER_HOUR,
    NewCustomerUser,
    invite_user,
)
from collector.store import people_schema, schema
from collector.store.database import Database
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, csrf_token, log_in, session_cookie

Client = TestClient[web.Request, web.Application]
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def invited(db: Database, config: CollectorConfig, seeded: Seeded) -> tuple[int, str]:
    """Pat invited; the link path from the invitation mail."""
    body = NewCustomerUser(email="pat@acme.example", customer_id="acme")
    user = db.transaction(
        invite_user, body, by="operator:olga", address="", now=START, config=config
    )
    mail = db.transaction(
        lambda conn: conn.scalars(
            select(schema.outbox.c.body).where(schema.outbox.c.kind == "account_invite")
        ).one()
    )
    match = re.search(r"https?://[^/\s]+(/portal/password/\S+)", mail)
    assert match
    return user.id, match.group(1)


async def _choose(client: Client, path: str, password: str, again: str | None = None) -> int:
    page = await client.get(path)
    if page.status != 200:
        return page.status
    form = {"csrf_token": csrf_token(await page.text()), "password": password}
    form["again"] = password if again is None else again
    response = await client.post(path, data=form, allow_redirects=False)
    return response.status


async def test_it_sets_the_password_once_and_signs_the_user_in_to_the_portal(
    client: Client, invited: tuple[int, str]
) -> None:
    _, path = invited
    assert await _choose(client, path, NEW_PASSWORD) == 303
    assert await log_in(client, "pat@acme.example", NEW_PASSWORD) == 303
    response = await client.get("/", allow_redirects=True)
    assert str(response.url.path) == "/portal/"
    used = await client.get(path)
    assert used.status == 410
    assert "This link has been used already." in await used.text()


async def test_it_refuses_an_expired_link(
    client: Client, clock: Clock, invited: tuple[int, str]
) -> None:
    clock.advance(INVITE_VALID + timedelta(seconds=1))
    response = await client.get(invited[1])
    assert response.status == 410
    assert "This link has expired." in await response.text()


async def test_it_refuses_a_short_or_mismatched_password_and_changes_nothing(
    client: Client, db: Database, invited: tuple[int, str]
) -> None:
    user_id, path = invited
    assert await _choose(client, path, "short") == 400
    assert await _choose(client, path, NEW_PASSWORD, again="something else") == 400
    row = db.transaction(
        lambda conn: conn.execute(
            select(people_schema.customer_users).where(people_schema.customer_users.c.id == user_id)
        ).one()
    )
    assert row.password_hash is None
    assert await _choose(client, path, NEW_PASSWORD) == 303  # the link still works


async def test_it_ends_the_users_sessions_when_the_password_changes(
    client: Client, db: Database, config: CollectorConfig, invited: tuple[int, str]
) -> None:
    user_id, path = invited
    old = session_cookie(db, config, "customer", user_id, START)
    assert await _choose(client, path, NEW_PASSWORD) == 303
    client.session.cookie_jar.update_cookies({"faultdesk_session": old}, client.make_url("/"))
    response = await client.get("/portal/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_it_answers_a_reset_request_the_same_for_any_address(
    client: Client, db: Database, invited: tuple[int, str]
) -> None:
    for email in ("pat@acme.example", "nobody@acme.example"):
        page = await client.get("/portal/reset")
        form = {"csrf_token": csrf_token(await page.text()), "email": email}
        response = await client.post("/portal/reset", data=form)
        assert response.status == 200
        assert "If that address belongs to a portal account" in await response.text()
    recipients = db.transaction(
        lambda conn: conn.scalars(
            select(schema.outbox.c.recipient).where(schema.outbox.c.kind == "account_reset")
        ).all()
    )
    assert recipients == ["pat@acme.example"]


async def test_it_mails_no_more_than_three_reset_links_an_hour(
    client: Client, db: Database, clock: Clock, invited: tuple[int, str]
) -> None:
    for _ in range(5):
        page = await client.get("/portal/reset")
        form = {"csrf_token": csrf_token(await page.text()), "email": "pat@acme.example"}
        assert (await client.post("/portal/reset", data=form)).status == 200

    def resets() -> int:
        query = select(schema.outbox.c.id).where(schema.outbox.c.kind == "account_reset")
        return len(db.transaction(lambda conn: conn.execute(query).all()))

    assert resets() == RESETS_PER_HOUR
    clock.advance(timedelta(hours=1, seconds=1))
    page = await client.get("/portal/reset")
    form = {"csrf_token": csrf_token(await page.text()), "email": "pat@acme.example"}
    await client.post("/portal/reset", data=form)
    assert resets() == RESETS_PER_HOUR + 1
