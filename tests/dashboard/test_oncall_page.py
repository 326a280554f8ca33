"""The on-call page: who is on call now and next, the coming weeks, and what is paging."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, select, update

from collector.app import create_app
from collector.config.oncall import OnCallSettings
from collector.config.settings import CollectorConfig
from collector.store import schema
from collector.store.database import Database
from collector.web.appkeys import DATABASE
from dashboard import sessions
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, make_config, seed, session_cookie
from tests.support.incidents import add_customer, open_incident

Client = TestClient[web.Request, web.Application]

ROTA = {
    "people": [
        {"name": name, "timezone": zone, "pager": {"email": f"{name}@sms.vendor.net"}}
        for name, zone in (("alice", "America/New_York"), ("bob", "Europe/London"))
    ],
    # START is Monday 6 May 2024, 10:00 UTC, 06:00 in New York: bob's week (from 29 April)
    # runs until that day's 09:00 New York handover to alice.
    "rotation": {"zone": "America/New_York", "starts_on": "2024-04-22", "people": ["alice", "bob"]},
}


@pytest.fixture
async def oncall_client(
    config: CollectorConfig, template: tuple[object, Seeded]
) -> AsyncIterator[Client]:
    with_rota = config.model_copy(update={"oncall": OnCallSettings.model_validate(ROTA)})
    app = create_app(with_rota, clock=Clock(START), run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        operator_id = template[1].operator.id
        cookie = session_cookie(app[DATABASE], config, "operator", operator_id, START)
        client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))
        yield client


@pytest.fixture
async def paging_client(database_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    """The collector on SQLite or PostgreSQL with a premium customer's critical incident open:
    one that pages on-call (the seeded incident's policy pages no one)."""
    base = make_config(tmp_path)
    config = base.model_copy(
        update={
            "database": base.database.model_copy(update={"url": database_url}),
            "oncall": OnCallSettings.model_validate(ROTA),
        }
    )
    app = create_app(config, clock=Clock(START), run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        db = app[DATABASE]
        seeded = await db.write(seed, config, START)
        host = await db.write(add_customer, "zeta", "premium", START)
        await db.write(open_incident, config, host, START, severity="critical")
        cookie = session_cookie(db, config, "operator", seeded.operator.id, START)
        client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))
        yield client


async def test_it_shows_who_is_on_call_now_and_next_and_the_coming_weeks(
    oncall_client: Client,
) -> None:
    html = await (await oncall_client.get("/oncall")).text()
    assert '<dd id="on-call-now" data-person="bob">' in html
    assert '<dd id="on-call-next" data-person="alice">' in html
    # 09:00 New York, summer time; UTC on hover as everywhere.
    until = '<time datetime="2024-05-06T13:00:00+00:00" title="2024-05-06 13:00 UTC">'
    assert f"until {until}2024-05-06 13:00 UTC</time>" in html
    assert html.count('<tr data-person="') == 8
    assert '<dd id="chain">bob → alice</dd>' in html
    assert "No incident is paging anyone." in html


def _page_on_call(conn: Connection, incident_id: int) -> None:
    table = schema.incidents
    policy = conn.scalar(select(table.c.policy).where(table.c.id == incident_id))
    paging = {**policy, "pages_on_call": True}
    conn.execute(update(table).where(table.c.id == incident_id).values(policy=paging))


async def test_it_lists_each_incident_paging_now_by_its_reference_and_customer(
    oncall_client: Client, template: tuple[object, Seeded]
) -> None:
    incident_id = template[1].incident_id
    db: Database = oncall_client.server.app[DATABASE]
    await db.write(_page_on_call, incident_id)
    response = await oncall_client.get("/oncall")
    assert response.status == 200
    html = await response.text()
    assert f'<tr data-incident-id="{incident_id}">' in html
    assert f'<a href="/incidents/{incident_id}">INC-2024-{incident_id:04d}</a>' in html
    assert '<a href="/customers/acme">Acme &lt;Widgets&gt; &amp; Co</a>' in html


async def test_it_says_when_no_rotation_is_configured(operator_client: Client) -> None:
    html = await (await operator_client.get("/oncall")).text()
    assert 'id="no-rota"' in html


async def test_it_lists_the_incident_paging_now_with_its_customer(paging_client: Client) -> None:
    response = await paging_client.get("/oncall")
    assert response.status == 200
    html = await response.text()
    [row] = re.findall(r'<tr data-incident-id="\d+">.*?</tr>', html, re.DOTALL)
    assert '<a href="/customers/zeta">Zeta Ltd</a>' in row
    assert "Disk space /" in row and "none yet" in row
    assert "No incident is paging anyone." not in html
