"""A host with no agent (a Mitel, watched over SNMP) has the status its watchers give it: ok once
polled with no open fault, never silent for want of an agent's reports; on the operators'
overview, host and customer pages, the customer's portal and its API, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import get_args

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, update

from collector.config.settings import CollectorConfig
from collector.domain.rules import HOST_KINDS
from collector.operations.inventory import NewHost
from collector.store import customer_users, inventory, operators
from collector.store import faults as fault_store
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.schema import hosts
from collector.store.snmp import AlarmStatus, SnmpAgent
from dashboard import sessions
from tests.support.collector import collector_config
from tests.support.dashboard import START, session_cookie

Client = TestClient[web.Request, web.Application]
#: host id: its kind, and its last word (an agent's report, or a Mitel's poll) minutes ago
FLEET = {
    "srv": ("server", 1),
    "mitel-ok": ("mitel", 1),  # polled a minute ago: alarm ok, no fault
    "mitel-new": ("mitel", None),  # not polled yet
    "mitel-down": ("mitel", 1),  # polled, but its polls and checks fail: host down
}


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> CollectorConfig:
    """The application on SQLite or PostgreSQL (the dashboard's seeded copy is SQLite only)."""
    return collector_config(database_url, tmp_path)


def mitels_and_a_server(conn: Connection) -> tuple[int, int]:
    """The fleet, an operator and a customer user (their ids)."""
    inventory.add_customer(conn, "acme", "Acme", START - timedelta(days=1))
    for number, (host_id, (kind, minutes)) in enumerate(FLEET.items()):
        inventory.add_host(conn, host_id, "acme", START, kind=kind, interval_s=60)
        at = None if minutes is None else START - timedelta(minutes=minutes)
        if kind != "mitel":
            conn.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=at))
            continue
        snmp_store.set_agent(conn, SnmpAgent(host_id, f"192.0.2.{number}", "mitel-3300", "2c"))
        if at is not None:
            snmp_store.save_status(conn, AlarmStatus(host_id, "ok", polled_at=at), at)
    fault_store.open_fault(
        conn, host_id="mitel-down", check_key="host.down", severity="critical",
        title="Host down", detail="", at=START - timedelta(minutes=5),
    )  # fmt: skip
    operator = operators.add_operator(conn, "olga", "correct horse battery", START)
    user = customer_users.add_user(conn, "acme", "pat@acme.example", "customer", START)
    return operator.id, user.id


@pytest.fixture
async def fleet(client: Client, db: Database) -> tuple[int, int]:
    return await db.write(mitels_and_a_server)


def _log_in(client: Client, db: Database, config: CollectorConfig, kind: str, who: int) -> None:
    cookie = session_cookie(db, config, kind, who, START)
    client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))


def _statuses(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-host-id="([^"]+)" data-status="([^"]+)"', html)
    return dict(rows)


async def test_it_shows_a_polled_mitel_ok_in_the_portal_and_its_api(
    client: Client, db: Database, config: CollectorConfig, fleet: tuple[int, int]
) -> None:
    token = await db.write(customer_users.create_token, "pat@acme.example", "t", START)
    answer = await client.get("/api/v1/portal/hosts", headers={"Authorization": f"Bearer {token}"})
    statuses = {h["id"]: h["status"] for h in await answer.json()}
    assert statuses == {
        "srv": "ok", "mitel-ok": "ok", "mitel-new": "silent", "mitel-down": "fault",
    }  # fmt: skip
    _log_in(client, db, config, "customer", fleet[1])
    assert _statuses(await (await client.get("/portal/")).text()) == statuses
    html = await (await client.get("/portal/hosts/mitel-ok")).text()
    assert 'data-status="ok"' in html


async def test_it_counts_a_polled_mitel_ok_on_the_overview(
    client: Client, db: Database, config: CollectorConfig, fleet: tuple[int, int]
) -> None:
    _log_in(client, db, config, "operator", fleet[0])
    html = await (await client.get("/")).text()
    assert "2 ok" in html and "1 not reporting yet" in html and "1 critical or silent" in html
    statuses = _statuses(await (await client.get("/customers/acme")).text())
    assert statuses == {
        "srv": "ok", "mitel-ok": "ok", "mitel-new": "no reports yet", "mitel-down": "critical",
    }  # fmt: skip
    html = await (await client.get("/hosts/mitel-ok")).text()
    assert 'data-host-id="mitel-ok" data-status="ok"' in html


async def test_it_filters_the_overview_by_every_kind_of_host(
    client: Client, db: Database, config: CollectorConfig, fleet: tuple[int, int]
) -> None:
    _log_in(client, db, config, "operator", fleet[0])
    html = await (await client.get("/?kind=mitel")).text()
    assert '<option value="mitel" selected>mitel</option>' in html
    assert "no agent: watched over SNMP" in html and "no report yet" not in html
    assert _statuses(html) == {
        "mitel-ok": "ok", "mitel-new": "no reports yet", "mitel-down": "critical",
    }  # fmt: skip
    assert _statuses(await (await client.get("/?kind=mitel&state=ok")).text()) == {"mitel-ok": "ok"}
    assert _statuses(await (await client.get("/?kind=server")).text()) == {"srv": "ok"}


def test_it_knows_the_host_kinds_from_one_list() -> None:
    assert get_args(NewHost.model_fields["kind"].annotation) == HOST_KINDS
