"""Every form that changes something needs its CSRF token; without it: 403 and no change."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestClient
from yarl import URL

from collector.config.settings import CollectorConfig
from collector.notify import fanout
from collector.store.database import Database
from tests.support.clock import Clock
from tests.support.dashboard import Seeded, ack_path, csrf_token, fault_row, snapshot

Client = TestClient[web.Request, web.Application]

WRONG_TOKENS = [None, "", "not-the-token"]


def _form(token: str | None, **fields: str) -> dict[str, str]:
    return fields if token is None else {**fields, "csrf_token": token}


@pytest.mark.parametrize("token", WRONG_TOKENS)
async def test_it_refuses_an_operator_acknowledgement_without_the_token(
    operator_client: Client, db: Database, seeded: Seeded, token: str | None
) -> None:
    before = await db.read(snapshot)
    response = await operator_client.post(
        f"/faults/{seeded.fault_id}/ack", data=_form(token, comment="x"), allow_redirects=False
    )
    assert response.status == 403
    assert "Nothing was changed" in await response.text()
    assert await db.read(snapshot) == before


async def test_it_refuses_the_token_of_another_session(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    async with (
        ClientSession(cookie_jar=CookieJar(unsafe=True)) as stranger,
        stranger.get(operator_client.make_url("/login")) as page,
    ):
        other = csrf_token(await page.text())
    before = await db.read(snapshot)
    response = await operator_client.post(
        f"/faults/{seeded.fault_id}/ack", data=_form(other), allow_redirects=False
    )
    assert response.status == 403
    assert await db.read(snapshot) == before


async def test_it_acknowledges_with_the_right_token(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    page = await operator_client.get(f"/faults/{seeded.fault_id}")
    form = _form(csrf_token(await page.text()), comment="on it")
    response = await operator_client.post(
        f"/faults/{seeded.fault_id}/ack", data=form, allow_redirects=False
    )
    assert response.status == 303
    row = await db.read(fault_row, seeded.fault_id)
    assert (row.acknowledged_by, row.ack_comment) == ("olga", "on it")


@pytest.mark.parametrize("token", WRONG_TOKENS)
async def test_it_refuses_a_login_without_the_token(
    client: Client, seeded: Seeded, token: str | None
) -> None:
    await client.get("/login")  # the anonymous session exists; the form field is what is missing
    response = await client.post(
        "/login", data=_form(token, username="olga", password="x"), allow_redirects=False
    )
    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_it_refuses_a_logout_without_the_token(operator_client: Client) -> None:
    response = await operator_client.post("/logout", data={}, allow_redirects=False)
    assert response.status == 403
    assert (await operator_client.get("/", allow_redirects=False)).status == 200


@pytest.mark.parametrize("token", WRONG_TOKENS)
async def test_it_refuses_a_customer_acknowledgement_without_the_form_field(
    client: Client, db: Database, seeded: Seeded, token: str | None
) -> None:
    path = await db.read(ack_path)
    before = await db.read(snapshot)
    response = await client.post(path, data=_form(token, comment="x"))
    assert response.status == 403
    assert await db.read(snapshot) == before


async def test_it_refuses_the_form_field_of_another_link(
    client: Client, db: Database, config: CollectorConfig, clock: Clock, seeded: Seeded
) -> None:
    """The field is bound to its link: one from another valid link does not fit."""
    path = await db.read(ack_path)
    other_link = fanout.ack_url(config, seeded.fault_id, "someone@acme.example", clock())
    page = await client.get(URL(other_link).path)
    field = csrf_token(await page.text())
    before = await db.read(snapshot)
    response = await client.post(path, data={"csrf_token": field})
    assert response.status == 403
    assert await db.read(snapshot) == before
