"""``GET /api/v1/incidents/{id}`` and ``POST /api/v1/incidents/{id}/{action}``, in the
documented shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from collector.app import create_app
from collector.config.settings import CollectorConfig
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.incidents import add_customer, lose_access, open_incident
from tests.support.openapi import DOCUMENT, check, resolve

# Monday 2 November 2026, 10:00 UTC = 10:00 in London; the API's clock reads 11:30.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOW = MONDAY + timedelta(minutes=90)
DETAIL, STEP = "/api/v1/incidents/{id}", "/api/v1/incidents/{id}/{action}"


@dataclass
class Api:
    client: TestClient[Any, Any]
    auth: dict[str, str]

    async def call(
        self, method: str, template: str, path: str, status: int, body: Any = None
    ) -> Any:
        response = await self.client.request(method, path, headers=self.auth, json=body)
        assert response.status == status, await response.text()
        answer = await response.json()
        documented = DOCUMENT["paths"][template][method.lower()]["responses"][str(status)]
        documented = resolve(documented["$ref"]) if "$ref" in documented else documented
        check(answer, documented["content"]["application/json"]["schema"])
        return answer


def _setup(conn: Connection, config: CollectorConfig) -> None:
    host = add_customer(conn, "acme", "priority-uk", MONDAY)
    open_incident(conn, config, host, MONDAY)
    lose_access(conn, host, MONDAY + timedelta(minutes=20), MONDAY + timedelta(minutes=60))


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Api]:
    config = collector_config(sqlite_url, tmp_path)
    app = create_app(config, clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        token = await db.write(create_token, "alice", "tests", NOW)
        await db.write(_setup, config)
        yield Api(client, {"Authorization": f"Bearer {token}"})


async def test_it_explains_the_due_time_and_lists_the_steps_allowed(api: Api) -> None:
    incident = await api.call("GET", DETAIL, "/api/v1/incidents/1", 200)
    assert incident["explanation"] == (
        "due Mon 2 Nov 12:40 Europe/London — opened Mon 2 Nov 10:00; "
        "paused 40 min while SSH was unreachable"
    )
    assert incident["targets"]["first_response"]["due"] == "2026-11-02T12:40:00Z"
    assert incident["targets"]["first_response"]["rule"] == "2 h working time"
    assert incident["front_of_queue"] is True
    assert incident["actions"] == ["respond", "wait"]
    assert [e["kind"] for e in incident["events"]] == ["opened"]
    await api.call("GET", DETAIL, "/api/v1/incidents/99", 404)
    await api.call("GET", DETAIL, "/api/v1/incidents/abc", 404)


async def test_it_takes_steps_as_the_tokens_operator_and_refuses_the_others(api: Api) -> None:
    path = "/api/v1/incidents/1/respond"
    done = await api.call("POST", STEP, path, 200, {"note": "called Jo"})
    assert (done["status"], done["responded_at"]) == ("responded", "2026-11-02T11:30:00Z")
    assert done["events"][-1] == {
        "at": "2026-11-02T11:30:00Z",
        "kind": "responded",
        "actor": "alice",
        "detail": "first response given: called Jo",
    }
    refusal = await api.call("POST", STEP, path, 409)
    assert "incident INC-2026-0001 is responded to" in refusal["error"]
    waiting = await api.call("POST", STEP, "/api/v1/incidents/1/wait", 200)
    assert waiting["waiting_since"] == "2026-11-02T11:30:00Z"
    await api.call("POST", STEP, "/api/v1/incidents/2/respond", 404)
    await api.call("POST", STEP, "/api/v1/incidents/1/resolve", 400, {"note": 3})
    unknown = await api.client.post("/api/v1/incidents/1/explode", headers=api.auth)
    assert unknown.status == 404
