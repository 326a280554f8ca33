"""``POST /api/v1/hosts`` with an address and SNMP settings: a Mitel host, its secrets never
shown again, its address its own, its profile one the collector knows; answers as documented."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.store import probe_results as probe_store
from collector.store import snmp as snmp_store
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MITEL = {
    "id": "acme-mitel",
    "customer_id": "acme",
    "kind": "mitel",
    "address": "192.0.2.10",
    "snmp": {"version": "2c", "community": "s3cret-community"},
}


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[tuple[Documented, Any]]:
    app = create_app(collector_config(sqlite_url, tmp_path), clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        token = await db.write(create_token, "alice", "tests", NOW)
        documented = Documented(client, token)
        customer = {"id": "acme", "name": "Acme Ltd"}
        await documented.call("POST", "/api/v1/customers", 201, json=customer)
        yield documented, db


async def test_it_creates_a_mitel_host_with_its_snmp_agent_and_access_check(
    api: tuple[Documented, Any],
) -> None:
    documented, db = api
    created = await documented.call("POST", "/api/v1/hosts", 201, json=MITEL)
    assert created["address"] == "192.0.2.10"
    assert created["snmp"] == {"version": "2c", "profile": "mitel-3300", "port": 161}

    shown = await documented.call("GET", "/api/v1/hosts/{id}", 200, path="/api/v1/hosts/acme-mitel")
    assert "s3cret-community" not in str(shown)
    agent = await db.read(snmp_store.get_agent, "acme-mitel")
    assert agent.community == "s3cret-community"
    checks = await db.read(probe_store.list_checks, "acme-mitel")
    assert [(c.kind, c.target) for c in checks] == [("http", "https://192.0.2.10/")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"address": None}, None),  # snmp settings need the address
        ({"kind": "server", "snmp": None}, None),  # and an address is only for SNMP
        ({"address": "pbx.acme.example"}, "address"),
        ({"snmp": {"version": "2c"}}, "snmp"),  # no community
        ({"snmp": {"version": "3", "user": "fd"}}, "snmp"),  # no engine id
        ({"snmp": {"community": "c", "profile": "no-such"}}, "snmp.profile"),
        ({"snmp": None}, None),  # a mitel host is watched over SNMP
    ],
)
async def test_it_refuses_bad_snmp_settings_and_creates_nothing(
    api: tuple[Documented, Any], change: dict[str, Any], field: str | None
) -> None:
    documented, db = api
    refused = await documented.call("POST", "/api/v1/hosts", 400, json={**MITEL, **change})
    if field is not None:
        assert refused["field"].startswith(field)
    assert await db.read(snmp_store.all_agents) == []
    await documented.call("GET", "/api/v1/hosts/{id}", 404, path="/api/v1/hosts/acme-mitel")


async def test_it_refuses_a_second_host_at_the_same_address(api: tuple[Documented, Any]) -> None:
    documented, _ = api
    await documented.call("POST", "/api/v1/hosts", 201, json=MITEL)
    refused = await documented.call("POST", "/api/v1/hosts", 409, json={**MITEL, "id": "other"})
    assert refused["field"] == "address"
