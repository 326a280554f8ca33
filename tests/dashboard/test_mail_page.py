"""The Mail page shows every message written to the outbox, but never the one-time links in
them: a password link sets a customer user's password, an ack link acknowledges as the
customer. Hidden for every operator's role, as the access log hides them; the API leaves the
bodies out altogether."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.operations.accounts import NewCustomerUser, invite_user
from collector.store import operators, schema
from collector.store.database import Database
from dashboard import sessions
from tests.support.dashboard import OPERATOR, START, Seeded, ack_path, session_cookie

Client = TestClient[web.Request, web.Application]


def _invite(conn: Connection, config: CollectorConfig) -> str:
    """Pat invited to the portal; the path of the password link in the invitation."""
    body = NewCustomerUser(email="pat@acme.example", customer_id="acme")
    invite_user(conn, body, by="operator:olga", address="", now=START, config=config)
    query = select(schema.outbox.c.body).where(schema.outbox.c.kind == "account_invite")
    match = re.search(r"https?://[^/\s]+(/portal/password/\S+)", conn.scalars(query).one())
    assert match
    return match.group(1)


def _signed_in_as(client: Client, db: Database, config: CollectorConfig, operator_id: int) -> None:
    cookie = session_cookie(db, config, "operator", operator_id, START)
    client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))


@pytest.mark.parametrize("role", ["admin", "operator"])
async def test_it_shows_an_invitation_with_its_password_link_hidden(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded, role: str
) -> None:
    path = await db.write(_invite, config)
    if role == "admin":
        operator_id = seeded.operator.id
    else:
        added = await db.write(operators.add_operator, "oscar", "a long password", START, role)
        operator_id = added.id
    _signed_in_as(client, db, config, operator_id)
    html = await (await client.get("/mail")).text()
    token = path.rsplit("/", 1)[1]
    assert token not in html
    assert "Your access to the Acme &lt;Widgets&gt; &amp; Co support portal" in html
    assert f"{config.http.public_url}/portal/password/[token]" in html
    # The collector's other links in a mail still work: no secret in them.
    assert f'<a class="mail-link" href="{config.http.public_url}/login">' in html
    assert 'href="' + config.http.public_url + "/portal/password/" not in html


async def test_it_hides_the_customers_ack_links_on_the_mail_and_fault_pages(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    token = (await db.read(ack_path)).removeprefix("/ack/")
    for page in ("/mail", f"/faults/{seeded.fault_id}"):
        html = await (await operator_client.get(page)).text()
        assert "/ack/[token]" in html, page
        assert token not in html, page


async def test_the_api_and_the_page_both_keep_the_link_secret(
    operator_client: Client, db: Database, config: CollectorConfig
) -> None:
    path = await db.write(_invite, config)
    token = path.rsplit("/", 1)[1]
    bearer = await db.write(operators.create_token, OPERATOR, "tests", START)
    headers = {"Authorization": f"Bearer {bearer}"}
    api = await operator_client.get("/api/v1/outbox", headers=headers)
    assert api.status == 200
    listed = await api.json()
    html = await (await operator_client.get("/mail")).text()
    assert token not in await api.text() and token not in html
    # The same messages on both, the invitation among them.
    assert any(mail["kind"] == "account_invite" for mail in listed)
    for mail in listed:
        assert f'<tr data-mail-id="{mail["id"]}" data-status="{mail["status"]}">' in html
