"""A customer who gives access on request, through the running service: the incident is paused
from its opening until ``POST /api/v1/incidents/{id}/access-granted``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from collector.app import create_app
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.incidents import open_incident

# Monday 2 November 2026, 10:00 UTC = 10:00 in London; the service's clock reads 10:45.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOW = MONDAY + timedelta(minutes=45)


@pytest.fixture
async def client(tmp_path: Path, database_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    config = collector_config(database_url, tmp_path)
    app = create_app(config, clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        token = await db.write(create_token, "alice", "tests", NOW)
        client.session.headers["Authorization"] = f"Bearer {token}"
        yield client


async def _post(client: TestClient[Any, Any], path: str, body: Any, status: int) -> Any:
    response = await client.post(path, json=body)
    assert response.status == status, await response.text()
    return await response.json()


async def test_it_pauses_until_access_is_recorded_as_given(
    client: TestClient[Any, Any], tmp_path: Path, database_url: str
) -> None:
    customer = {
        "id": "acme",
        "name": "Acme Ltd",
        "access": "on_request",
        "timezone": "Europe/London",
        "region": "other",
        "contract": {"tier": "priority-uk", "starts_on": "2026-10-01"},
    }
    await _post(client, "/api/v1/customers", customer, 201)
    await _post(client, "/api/v1/hosts", {"id": "acme-pbx", "customer_id": "acme"}, 201)
    config = collector_config(database_url, tmp_path)

    def opened(conn: Connection) -> int:
        return open_incident(conn, config, "acme-pbx", MONDAY)

    incident_id = await client.app[DATABASE].write(opened)
    path = f"/api/v1/incidents/{incident_id}"
    before = await (await client.get(path)).json()
    assert "access-granted" in before["actions"]
    assert before["explanation"].endswith("paused 45 min while access on request not yet given")
    assert before["targets"]["first_response"]["due"] == "2026-11-02T12:45:00Z"
    assert before["targets"]["first_response"]["pauses"] == [
        {
            "from": "2026-11-02T10:00:00Z",
            "to": "2026-11-02T10:45:00Z",
            "reason": "access on request not yet given",
        }
    ]

    after = await _post(client, f"{path}/access-granted", {"note": "Jo opened the firewall"}, 200)
    assert after["events"][-1]["kind"] == "access_granted"
    assert after["events"][-1]["actor"] == "alice"
    assert "access-granted" not in after["actions"]
    assert after["targets"]["first_response"]["due"] == "2026-11-02T12:45:00Z"
    refused = await _post(client, f"{path}/access-granted", {}, 409)
    assert "already" in refused["error"]
