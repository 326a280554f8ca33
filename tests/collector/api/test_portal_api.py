"""The customers' JSON API and the people endpoints, in the documented shapes, with the same
authorisation rules as the portal's pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.store import customer_users, inventory
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class Tokens:
    admin: Documented
    operator: Documented
    customer: Documented


@pytest.fixture
async def tokens(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Tokens]:
    app = create_app(collector_config(sqlite_url, tmp_path), clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        await db.write(add_operator, "otto", "correct horse battery", NOW, role="operator")
        await db.write(inventory.add_customer, "acme", "Acme", NOW)
        await db.write(inventory.add_contract, "acme", "cat2", NOW, None, 0)
        await db.write(inventory.add_host, "pbx-1", "acme", NOW, interval_s=60)
        await db.write(customer_users.add_user, "acme", "pat@acme.example", "customer", NOW)
        yield Tokens(
            Documented(client, await db.write(create_token, "alice", "t", NOW)),
            Documented(client, await db.write(create_token, "otto", "t", NOW)),
            Documented(
                client,
                await db.write(customer_users.create_token, "pat@acme.example", "t", NOW),
            ),
        )


async def test_it_lets_a_customer_log_follow_and_comment_on_a_ticket(tokens: Tokens) -> None:
    call = tokens.customer.call
    hosts = await call("GET", "/api/v1/portal/hosts", 200)
    assert [(h["id"], h["status"]) for h in hosts] == [("pbx-1", "silent")]
    ticket = await call(
        "POST",
        "/api/v1/portal/tickets",
        201,
        json={"title": "Phones say No service", "host_id": "pbx-1", "urgency": "high"},
    )
    assert (ticket["severity"], ticket["tier"], ticket["target_met"]) == ("critical", "cat2", None)
    assert ticket["response_due_at"] is not None
    assert ticket["reference"] == f"INC-2026-{ticket['id']:04d}"
    path = f"/api/v1/portal/tickets/{ticket['id']}"
    await call("POST", "/api/v1/portal/tickets", 404, json={"title": "x", "host_id": "other"})
    listed = await call("GET", "/api/v1/portal/tickets", 200)
    assert [t["reference"] for t in listed] == [ticket["reference"]]
    await call("GET", "/api/v1/portal/tickets/{id}", 200, path)
    await call("POST", "/api/v1/portal/tickets/{id}/comments", 201, path + "/comments",
               json={"text": "still down"})  # fmt: skip
    await tokens.admin.call(
        "POST",
        "/api/v1/incidents/{id}/comments",
        201,
        f"/api/v1/incidents/{ticket['id']}/comments",
        json={"text": "internal: check the trunk", "public": False},
    )
    detail = await call("GET", "/api/v1/portal/tickets/{id}", 200, path)
    texts = [entry["text"] for entry in detail["timeline"]]
    assert "still down" in texts
    assert not any("internal" in text for text in texts)
    fault_path = f"/api/v1/portal/faults/{ticket['fault_id']}"
    await call("GET", "/api/v1/portal/faults", 200, params={"open": "true"})
    await call("GET", "/api/v1/portal/faults/{id}", 200, fault_path)
    await call("POST", "/api/v1/portal/faults/{id}/acknowledge", 200, fault_path + "/acknowledge")


async def test_it_keeps_the_two_apis_apart(tokens: Tokens) -> None:
    await tokens.customer.call("GET", "/api/v1/faults", 404)
    await tokens.customer.call("GET", "/api/v1/users", 404)
    await tokens.admin.call("GET", "/api/v1/portal/hosts", 404)
    await tokens.customer.call("GET", "/api/v1/portal/hosts", 401, headers={})


async def test_it_lets_operators_add_users_and_only_admins_read_the_audit_log(
    tokens: Tokens,
) -> None:
    body = {"email": "jo@acme.example", "customer_id": "acme", "role": "customer-admin"}
    user = await tokens.operator.call("POST", "/api/v1/users", 201, json=body)
    assert (user["role"], user["has_password"]) == ("customer-admin", False)
    await tokens.operator.call("POST", "/api/v1/users", 409, json=body)
    await tokens.operator.call("POST", "/api/v1/users", 404, json={**body, "customer_id": "x"})
    await tokens.operator.call("POST", "/api/v1/users", 400, json={"email": "nope"})
    await tokens.operator.call("GET", "/api/v1/users", 200, params={"customer": "acme"})
    await tokens.operator.call("GET", "/api/v1/audit", 403)
    await tokens.admin.call("GET", "/api/v1/audit", 400, params={"since": "yesterday"})
    entries = await tokens.admin.call("GET", "/api/v1/audit", 200, params={"action": "user.added"})
    assert [(e["actor"], e["target"]) for e in entries] == [
        ("operator:otto", "customer:jo@acme.example")
    ]
