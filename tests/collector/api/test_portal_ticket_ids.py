"""The bodies of the customers' JSON API, on SQLite and PostgreSQL: a host that is another
customer's, or none at all, is a 404 naming the field, as the README says; text holding a NUL,
which PostgreSQL cannot store, is a 400 naming the field, not a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.store import customer_users, inventory
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TICKETS = "/api/v1/portal/tickets"


@pytest.fixture
async def acme(tmp_path: Path, database_url: str) -> AsyncIterator[Documented]:
    """Acme's customer user's token; Globex, another customer, has host gx-1."""
    app = create_app(
        collector_config(database_url, tmp_path), clock=lambda: NOW, run_schedules=False
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        for customer, host in (("acme", "pbx-1"), ("globex", "gx-1")):
            await db.write(inventory.add_customer, customer, customer.title(), NOW)
            await db.write(inventory.add_host, host, customer, NOW, interval_s=60)
        await db.write(customer_users.add_user, "acme", "pat@acme.example", "customer", NOW)
        token = await db.write(customer_users.create_token, "pat@acme.example", "t", NOW)
        yield Documented(client, token)


@pytest.mark.parametrize("host_id", ["gx-1", "nowhere", "pbx\x001"])
async def test_it_answers_a_ticket_on_a_host_not_the_customers_with_404_naming_it(
    acme: Documented, host_id: str
) -> None:
    body = {"title": "Phones down", "host_id": host_id}
    answer = await acme.call("POST", TICKETS, 404, json=body)
    assert answer["field"] == "host_id"
    assert "gx-1" not in str(await acme.call("GET", TICKETS, 200))


async def test_it_still_logs_a_ticket_on_the_customers_own_host(acme: Documented) -> None:
    ticket = await acme.call("POST", TICKETS, 201, json={"title": "x", "host_id": "pbx-1"})
    assert ticket["host_id"] == "pbx-1"


async def test_it_refuses_a_blank_comment_naming_the_field(acme: Documented) -> None:
    ticket = await acme.call("POST", TICKETS, 201, json={"title": "Phones down"})
    path = f"{TICKETS}/{ticket['id']}/comments"
    answer = await acme.call("POST", TICKETS + "/{id}/comments", 400, path, json={"text": "  "})
    assert answer["field"] == "text"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (TICKETS, {"title": "Phones down", "description": "line 1\n\x00"}, "description"),
        (TICKETS + "/{id}/comments", {"text": "still down\x00"}, "text"),
    ],
)
async def test_it_refuses_text_holding_a_nul_naming_the_field_and_stores_nothing(
    acme: Documented, path: str, body: dict[str, str], field: str
) -> None:
    ticket = await acme.call("POST", TICKETS, 201, json={"title": "First"})
    answer = await acme.call("POST", path, 400, path.format(id=ticket["id"]), json=body)
    assert answer["field"] == field
    tickets = await acme.call("GET", TICKETS, 200)
    assert [t["title"] for t in tickets] == ["First"]


async def test_it_keeps_the_line_breaks_and_tabs_of_a_description(acme: Documented) -> None:
    body = {"title": "Phones down", "description": "since 9:00\n\tall handsets"}
    ticket = await acme.call("POST", TICKETS, 201, json=body)
    (reported,) = [entry for entry in ticket["timeline"] if entry["kind"] == "reported"]
    assert reported["text"].endswith(": since 9:00\n\tall handsets")
