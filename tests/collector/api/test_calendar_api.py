"""``/api/v1/calendar/announcements`` through the running service, on SQLite and PostgreSQL:
an announced day moves open incidents at once, with the reason on their timeline, and
withdrawing it moves them back."""

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
from tests.support.incidents import add_customer, open_incident
from tests.support.openapi import DOCUMENT, check, resolve

# Monday 2 November 2026, 10:00 in London: a cat1 minor incident is due Tuesday 10:00.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
LIST, WITHDRAW = "/api/v1/calendar/announcements", "/api/v1/calendar/announcements/{id}/withdraw"


@pytest.fixture
async def client(tmp_path: Path, database_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    config = collector_config(database_url, tmp_path)
    app = create_app(config, clock=lambda: MONDAY + timedelta(hours=1), run_schedules=False)

    def setup(conn: Connection) -> None:
        host = add_customer(conn, "acme", "cat1", MONDAY)
        open_incident(conn, config, host, MONDAY, severity="minor")

    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", MONDAY)
        token = await db.write(create_token, "alice", "tests", MONDAY)
        await db.write(setup)
        client.session.headers["Authorization"] = f"Bearer {token}"
        yield client


async def _call(
    client: TestClient[Any, Any],
    method: str,
    template: str,
    path: str,
    status: int,
    body: Any = None,
) -> Any:
    response = await client.request(method, path, json=body)
    assert response.status == status, await response.text()
    answer = await response.json()
    documented = DOCUMENT["paths"][template][method.lower()]["responses"][str(status)]
    documented = resolve(documented["$ref"]) if "$ref" in documented else documented
    check(answer, documented["content"]["application/json"]["schema"])
    return answer


async def _incident(client: TestClient[Any, Any]) -> Any:
    return await (await client.get("/api/v1/incidents/1")).json()


async def test_it_moves_open_incidents_at_once_and_back_when_withdrawn(
    client: TestClient[Any, Any],
) -> None:
    assert (await _incident(client))["targets"]["first_response"]["due"] == "2026-11-03T10:00:00Z"
    body = {"calendar": "uk-office", "day": "2026-11-03", "reason": "staff training"}
    made = await _call(client, "POST", LIST, LIST, 201, body)
    assert made["closed"] is True and made["incidents_recalculated"] == [1]
    incident = await _incident(client)
    assert incident["targets"]["first_response"]["due"] == "2026-11-04T10:00:00Z"
    event = incident["events"][-1]
    assert (event["kind"], event["actor"]) == ("calendar_changed", "alice")
    assert event["detail"].startswith("announced: Tue 03 Nov 2026 closed on uk-office: staff")
    assert (
        "first response due Wed 4 Nov 10:00 Europe/London (was Tue 3 Nov 10:00)"
        in (event["detail"])
    )
    target = incident["targets"]["first_response"]
    assert "3 Nov staff training" in target["explanation"]
    assert target["calendar"] == (
        "Mon-Fri 09:00-17:00 Europe/London, England public holidays, 3 Nov closed: staff training"
    )
    listed = await _call(client, "GET", LIST, LIST, 200)
    assert [a["id"] for a in listed] == [made["id"]]

    path = WITHDRAW.replace("{id}", str(made["id"]))
    gone = await _call(client, "POST", WITHDRAW, path, 200)
    assert gone["withdrawn_by"] == "alice"
    assert (await _incident(client))["targets"]["first_response"]["due"] == "2026-11-03T10:00:00Z"
    await _call(client, "POST", WITHDRAW, path, 409)
    assert await _call(client, "GET", LIST, LIST, 200) == []


async def test_it_refuses_unknown_calendars_and_bad_hours_changing_nothing(
    client: TestClient[Any, Any],
) -> None:
    unknown = {"calendar": "moon-base", "day": "2026-11-03", "reason": "x"}
    refused = await _call(client, "POST", LIST, LIST, 400, unknown)
    assert refused["field"] == "calendar"
    past = {"calendar": "uk-office", "day": "2020-01-01", "reason": "x"}
    refused = await _call(client, "POST", LIST, LIST, 400, past)
    assert refused["field"] == "day" and "already past" in refused["error"]
    bad = {"calendar": "uk-office", "day": "2026-11-03", "hours": ["9-12"], "reason": "x"}
    assert (await client.post(LIST, json=bad)).status == 400
    assert await _call(client, "GET", LIST, LIST, 200) == []
