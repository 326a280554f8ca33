"""Every JSON API route taking an id answers a JSON 404 for an id no row can have: out of
range for the database's integer columns (2^31 on PostgreSQL, 2^63 on SQLite), Unicode digits,
a NUL; never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BAD_IDS = ["2147483648", "9223372036854775808", "1" + "0" * 30, "²", "٣", "0", "-1", "%00", "1%00"]
ROUTES = [
    ("GET", "/api/v1/faults/{}"),
    ("POST", "/api/v1/faults/{}/acknowledge"),
    ("GET", "/api/v1/incidents/{}"),
    ("POST", "/api/v1/incidents/{}/respond"),
    ("POST", "/api/v1/maintenance/{}/end"),
    ("GET", "/api/v1/hosts/{}"),
    ("POST", "/api/v1/hosts/{}/rotate-key"),
    ("GET", "/api/v1/hosts/{}/probes"),
    ("GET", "/api/v1/hosts/{}/faults"),
    ("POST", "/api/v1/customers/{}/contracts"),
]


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    app = create_app(
        collector_config(database_url, tmp_path), clock=lambda: NOW, run_schedules=False
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        yield client, await db.write(create_token, "alice", "tests", NOW)


async def test_it_answers_json_404_for_ids_no_row_can_have(
    api: tuple[TestClient[Any, Any], str],
) -> None:
    client, token = api
    auth = {"Authorization": f"Bearer {token}"}
    contract = {"tier": "cat1", "starts_on": "2026-01-01"}
    for method, template in ROUTES:
        for raw in BAD_IDS:
            path = template.format(raw)
            response = await client.request(method, path, headers=auth, json=contract)
            assert response.status == 404, (path, await response.text())
            assert "error" in await response.json(), path


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/outbox", "fault=2147483648"),
        ("/api/v1/outbox", "fault=²"),
        ("/api/v1/faults", "host=%00"),
        ("/api/v1/hosts", "customer=a%00"),
    ],
)
async def test_it_refuses_query_values_no_row_can_match(
    api: tuple[TestClient[Any, Any], str], path: str, query: str
) -> None:
    client, token = api
    response = await client.get(f"{path}?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status in (400, 404), await response.text()
    assert "error" in await response.json()


@pytest.mark.parametrize("query", ["actor=a%00", "action=%00", "customer=a%00&since=2026-01-01"])
async def test_it_finds_no_audit_entry_by_a_value_none_can_hold(
    api: tuple[TestClient[Any, Any], str], query: str
) -> None:
    client, token = api
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/audit", headers=auth)).status == 200
    response = await client.get(f"/api/v1/audit?{query}", headers=auth)
    assert response.status == 200, await response.text()
    assert await response.json() == []
