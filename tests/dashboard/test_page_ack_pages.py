"""The engineer's page link: GET only asks, POST takes the incident; a customer's fault link
can never stop paging, nor a page link acknowledge a fault. And the operators' button."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select, update

from collector.config.settings import CollectorConfig
from collector.notify.page_links import make_page_token
from collector.store import schema
from collector.store.audit import AuditFilter, entries
from collector.store.database import Database
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, ack_path, csrf_token, fault_row

Client = TestClient[web.Request, web.Application]


def _page_path(config: CollectorConfig, incident_id: int, person: str = "alice") -> str:
    token = make_page_token(config.secret_key, incident_id, person, START + timedelta(days=1))
    return f"/page-ack/{token}"


def _engineer_ack(conn: Connection, incident_id: int) -> tuple[Any, ...]:
    table = schema.incidents
    query = select(table.c.engineer_acknowledged_at, table.c.engineer_acknowledged_by)
    return tuple(conn.execute(query.where(table.c.id == incident_id)).one())


def _events(conn: Connection, incident_id: int) -> list[tuple[str, str]]:
    table = schema.incident_events
    query = select(table.c.kind, table.c.actor).where(table.c.incident_id == incident_id)
    return [(row.kind, row.actor) for row in conn.execute(query.order_by(table.c.id))]


def _set(conn: Connection, incident_id: int, **values: Any) -> None:
    table = schema.incidents
    conn.execute(update(table).where(table.c.id == incident_id).values(**values))


async def test_it_shows_the_incident_and_asks_without_acknowledging(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    path = _page_path(config, seeded.incident_id)
    for _ in range(2):  # a messaging app's preview, then the engineer
        response = await client.get(path)
        assert response.status == 200
        html = await response.text()
        assert 'id="confirm"' in html and f"Take incident INC-2024-{seeded.incident_id:04d}" in html
        assert "Acme &lt;Widgets&gt; &amp; Co" in html and "Disk /var 97% full" in html
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert (await client.head(path)).status == 200
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)


async def test_it_acknowledges_on_post_as_the_paged_engineer(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded, clock: Clock
) -> None:
    path = _page_path(config, seeded.incident_id)
    token = csrf_token(await (await client.get(path)).text())
    response = await client.post(path, data={"csrf_token": token})
    assert response.status == 200
    assert 'id="thanks"' in await response.text()
    assert await db.read(_engineer_ack, seeded.incident_id) == (clock.now, "alice")
    assert ("page_acknowledged", "alice") in await db.read(_events, seeded.incident_id)

    again = await client.post(path, data={"csrf_token": token})
    assert 'id="already"' in await again.text()
    assert await db.read(_engineer_ack, seeded.incident_id) == (clock.now, "alice")

    taken = await db.read(entries, AuditFilter(action="page.acknowledged"))
    assert [(e.actor, e.target, e.address) for e in taken] == [
        ("link:alice", f"incident:{seeded.incident_id}", "127.0.0.1")
    ]


async def test_it_leaves_the_customer_acknowledgement_alone(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    path = _page_path(config, seeded.incident_id)
    token = csrf_token(await (await client.get(path)).text())
    await client.post(path, data={"csrf_token": token})
    fault = await db.read(fault_row, seeded.fault_id)
    assert fault.acknowledged_at is None


async def test_it_refuses_a_post_without_the_form_token(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    path = _page_path(config, seeded.incident_id)
    response = await client.post(path, data={"csrf_token": "forged"})
    assert response.status == 403
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)


async def test_it_refuses_a_customer_ack_link_as_a_page_link(
    client: Client, db: Database, seeded: Seeded
) -> None:
    customer_path = await db.read(ack_path)
    as_page = customer_path.replace("/ack/", "/page-ack/")
    assert (await client.get(as_page)).status == 403
    response = await client.post(as_page, data={"csrf_token": "x"})
    assert response.status == 403
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)


async def test_it_refuses_a_page_link_as_a_customer_ack_link(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    as_customer = _page_path(config, seeded.fault_id).replace("/page-ack/", "/ack/")
    assert (await client.get(as_customer)).status == 403
    assert (await db.read(fault_row, seeded.fault_id)).acknowledged_at is None


async def test_it_says_an_expired_page_link_has_expired(
    client: Client, config: CollectorConfig, seeded: Seeded, clock: Clock
) -> None:
    path = _page_path(config, seeded.incident_id)
    clock.advance(timedelta(days=2))
    response = await client.get(path)
    assert response.status == 410
    assert "faultdesk-collector page ack" in await response.text()


async def test_it_does_not_take_an_incident_that_has_ended(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded, clock: Clock
) -> None:
    path = _page_path(config, seeded.incident_id)
    token = csrf_token(await (await client.get(path)).text())
    await db.write(_set, seeded.incident_id, closed_at=clock.now, status="closed")
    response = await client.post(path, data={"csrf_token": token})
    assert response.status == 409
    assert 'id="ended"' in await response.text()
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)


async def test_it_lets_an_operator_stop_the_paging_from_the_incident_list(
    operator_client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    policy = {"tier": "premium", "pages_on_call": True}
    await db.write(_set, seeded.incident_id, policy=policy)
    page = await (await operator_client.get("/incidents")).text()
    action = f'action="/incidents/{seeded.incident_id}/page-ack"'
    assert action in page and "Stop paging" in page

    url = f"/incidents/{seeded.incident_id}/page-ack"
    refused = await operator_client.post(url, data={"csrf_token": "forged"})
    assert refused.status == 403
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)

    form = re.search(action + r'.*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert form
    response = await operator_client.post(
        url, data={"csrf_token": form.group(1)}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/incidents"
    assert await db.read(_engineer_ack, seeded.incident_id) == (clock.now, "olga")


async def test_it_shows_no_paging_button_for_an_incident_that_does_not_page(
    operator_client: Client, seeded: Seeded
) -> None:
    page = await (await operator_client.get("/incidents")).text()
    assert "page-ack" not in page and f"INC-2024-{seeded.incident_id:04d}" in page


async def test_it_sends_anyone_not_logged_in_to_the_login_form(
    client: Client, db: Database, seeded: Seeded
) -> None:
    url = f"/incidents/{seeded.incident_id}/page-ack"
    response = await client.post(url, data={}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    assert await db.read(_engineer_ack, seeded.incident_id) == (None, None)
