"""The portal's People page: a customer-admin's named contacts (refused rows keep what was typed
and are named) and invitations that never tell one customer who another's users are."""

from __future__ import annotations

import re

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from collector.store import customer_users, inventory, people_schema, schema
from collector.store.database import Database
from tests.support.dashboard import csrf_token
from tests.support.portal import OtherCustomer

Client = TestClient[web.Request, web.Application]
PAGE = "/portal/people"
CONTACTS = "/portal/people/contacts"
STORED = ["pat@acme.example"]  # the seeded contact


async def _answer(client: Client, action: str, **fields: str) -> ClientResponse:
    html = await (await client.get(PAGE)).text()
    form = {"csrf_token": csrf_token(html), **fields}
    return await client.post(action, data=form, allow_redirects=False)


async def _post(client: Client, action: str, **fields: str) -> tuple[int, str]:
    response = await _answer(client, action, **fields)
    return response.status, await response.text()


def _typed(html: str, field: str) -> str:
    match = re.search(rf'name="{field}"[^>]*value="([^"]*)"', html)
    assert match, f"no {field} on the page"
    return match.group(1)


def _error(html: str) -> str:
    match = re.search(r'id="people-error"[^>]*>([^<]*)<', html)
    assert match, "no error on the page"
    return match.group(1)


def _invites(db: Database) -> list[str]:
    query = select(schema.outbox.c.recipient).where(schema.outbox.c.kind == "account_invite")
    return list(db.transaction(lambda conn: conn.scalars(query).all()))


async def test_it_refuses_the_same_address_twice_naming_the_row_and_keeping_the_form(
    portal: Client, db: Database
) -> None:
    status, html = await _post(
        portal, CONTACTS, name0="Ann", email0="a@b.example", name1="Bob", email1="A@B.example"
    )
    assert status == 400
    assert "Contact 2" in _error(html)
    assert 'data-field="email1"' in html
    assert (_typed(html, "name1"), _typed(html, "email1")) == ("Bob", "A@B.example")
    assert db.transaction(inventory.contact_emails, "acme") == STORED


async def test_it_refuses_a_contact_with_a_name_and_no_address(
    portal: Client, db: Database
) -> None:
    status, html = await _post(
        portal, CONTACTS, name0="Ann", email0="ann@acme.example", name2="Bob", email2=" "
    )
    assert status == 400
    assert "Contact 3" in _error(html) and 'data-field="email2"' in html
    assert _typed(html, "name2") == "Bob"
    assert db.transaction(inventory.contact_emails, "acme") == STORED


async def test_it_refuses_to_leave_the_customer_with_no_contact(
    portal: Client, db: Database
) -> None:
    status, html = await _post(portal, CONTACTS, name0="", email0="")
    assert status == 400
    assert "at least one contact" in _error(html)
    assert db.transaction(inventory.contact_emails, "acme") == STORED


async def test_it_keeps_what_was_typed_when_an_address_is_not_one(portal: Client) -> None:
    status, html = await _post(portal, CONTACTS, name0="Ann", email0="not an address")
    assert status == 400
    assert "Contact 1" in _error(html)
    assert _typed(html, "email0") == "not an address"


async def test_it_saves_rows_in_any_order_skipping_blank_ones(portal: Client, db: Database) -> None:
    status, _ = await _post(portal, CONTACTS, email1="ann@acme.example", name3="Bob",
                            email3="bob@acme.example")  # fmt: skip
    assert status == 303
    assert db.transaction(inventory.contacts_of, "acme") == [
        ("ann@acme.example", "ann@acme.example"),
        ("Bob", "bob@acme.example"),
    ]


async def test_it_answers_an_invite_of_another_customers_user_as_any_invite(
    portal: Client, db: Database, globex: OtherCustomer
) -> None:
    fresh = await _answer(portal, PAGE + "/invite", email="sam@acme.example")
    taken = await _answer(portal, PAGE + "/invite", email="Hank@globex.example")
    assert (taken.status, taken.headers["Location"]) == (fresh.status, fresh.headers["Location"])
    assert (await taken.text()) == (await fresh.text())
    page = await (await portal.get(PAGE)).text()
    assert "globex" not in page.lower() and "account already" not in page
    hank = db.transaction(customer_users.user_by_email, "hank@globex.example")
    assert hank is not None and hank.customer_id == "globex"
    assert _invites(db) == ["sam@acme.example"]
    exists = select(schema.outbox.c.recipient, schema.outbox.c.body).where(
        schema.outbox.c.kind == "account_exists"
    )
    [(recipient, body)] = db.transaction(lambda conn: conn.execute(exists).all())
    assert recipient == "hank@globex.example" and "Globex" not in body
    declined = select(people_schema.audit_log.c.target, people_schema.audit_log.c.customer_id)
    declined = declined.where(people_schema.audit_log.c.action == "user.invite_declined")
    assert db.transaction(lambda conn: conn.execute(declined).all()) == [
        ("customer:hank@globex.example", "acme")
    ]


async def test_it_still_tells_an_admin_of_their_own_colleagues_account(portal: Client) -> None:
    status, html = await _post(portal, PAGE + "/invite", email="pat@acme.example")
    assert status == 409
    assert "already one of your" in _error(html)
