"""A contract change moves the customer's open incidents to the new terms, and says why."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from collector.app import create_app
from collector.config.settings import CollectorConfig, load_config
from collector.config.tiers import catalogue_for
from collector.operations.contract_terms import recalculate_for_customer
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.database import Database
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.cli import Cli
from tests.support.collector import collector_config
from tests.support.incidents import add_customer, open_incident
from tests.support.openapi import DOCUMENT, check

# Monday 2 November 2026, 10:00 UTC = 10:00 in London.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


SHIPPED = catalogue_for(None)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests run on SQLite alone."""
    return sqlite_url


def _cat1_incident(conn: Connection, config: CollectorConfig) -> int:
    return open_incident(conn, config, add_customer(conn, "acme", "cat1", MONDAY), MONDAY)


def _new_contract(conn: Connection, tier: str, starts: datetime = MONDAY) -> None:
    inventory.add_contract(conn, "acme", tier, starts, starts + timedelta(days=365))


def test_it_gives_open_incidents_the_new_tiers_terms_and_records_why(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = db.transaction(_cat1_incident, config)
    before = db.transaction(incident_store.get_incident, incident_id)
    assert before is not None and before.response_due_at == MONDAY + timedelta(days=1)

    now = MONDAY + timedelta(minutes=30)
    db.transaction(_new_contract, "priority-uk")
    changed = db.transaction(
        recalculate_for_customer, "acme", now, "upgraded to Priority", catalogue=SHIPPED
    )
    assert changed == [incident_id]

    after = db.transaction(incident_store.get_incident, incident_id)
    assert after is not None
    assert (after.tier, after.covered, after.front_of_queue) == ("priority-uk", True, True)
    assert after.response_due_at == MONDAY + timedelta(hours=2)  # counted from the opening
    assert after.policy["title"] == "Priority Support (UK hours)"
    event = db.transaction(incident_store.events, incident_id)[-1]
    assert (event.kind, event.at, event.actor) == ("contract_changed", now, "faultdesk")
    assert event.detail == (
        "upgraded to Priority: tier cat1 → priority-uk; "
        "response due 2026-11-02 12:00 UTC (was 2026-11-03 10:00 UTC)"
    )


def test_it_leaves_incidents_already_under_the_tier_in_force_alone(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = db.transaction(_cat1_incident, config)
    db.transaction(_new_contract, "cat1")  # a renewal on the same tier
    assert (
        db.transaction(recalculate_for_customer, "acme", MONDAY, "renewed", catalogue=SHIPPED) == []
    )
    kinds = [e.kind for e in db.transaction(incident_store.events, incident_id)]
    assert kinds == ["opened"]


def test_it_marks_incidents_not_covered_when_no_contract_is_in_force(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = db.transaction(_cat1_incident, config)
    after_contract = MONDAY + timedelta(days=400)
    assert db.transaction(
        recalculate_for_customer, "acme", after_contract, "lapsed", catalogue=SHIPPED
    ) == [incident_id]
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    assert (incident.tier, incident.covered, incident.response_due_at) == ("none", False, None)


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[tuple[TestClient[Any, Any], Any]]:
    config = collector_config(sqlite_url, tmp_path)
    now = MONDAY + timedelta(hours=1)
    app = create_app(config, clock=lambda: now, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", now)
        token = await db.write(create_token, "alice", "tests", now)
        await db.write(_cat1_incident, config)
        yield client, {"Authorization": f"Bearer {token}"}


async def _call(
    client: TestClient[Any, Any], auth: dict[str, str], template: str, path: str, status: int,
    body: Any = None,
) -> Any:  # fmt: skip
    response = await client.post(path, headers=auth, json=body)
    assert response.status == status, await response.text()
    answer = await response.json()
    documented = DOCUMENT["paths"][template]["post"]["responses"][str(status)]
    if "$ref" in documented:
        documented = DOCUMENT["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    check(answer, documented["content"]["application/json"]["schema"])
    return answer


async def test_it_recalculates_when_a_contract_is_added_through_the_api(
    api: tuple[TestClient[Any, Any], Any],
) -> None:
    client, auth = api
    template = "/api/v1/customers/{id}/contracts"
    terms = {"tier": "priority-uk", "starts_on": "2026-11-02", "ends_on": "2027-11-02"}
    changed = await _call(client, auth, template, "/api/v1/customers/acme/contracts", 201, terms)
    assert changed["customer"]["contract"]["tier"] == "priority-uk"
    assert changed["incidents_recalculated"] == [1]
    detail = await client.get("/api/v1/incidents/1", headers=auth)
    incident = await detail.json()
    assert incident["tier"] == "priority-uk"
    assert incident["response_due_at"] == "2026-11-02T12:00:00Z"
    assert incident["events"][-1]["kind"] == "contract_changed"

    unknown = {"tier": "gold", "starts_on": "2026-11-02"}
    refusal = await _call(client, auth, template, "/api/v1/customers/acme/contracts", 400, unknown)
    assert refusal["field"] == "tier"
    await _call(client, auth, template, "/api/v1/customers/nobody/contracts", 404, terms)


def test_it_recalculates_when_a_contract_is_added_from_the_command_line(cli: Cli) -> None:
    config = load_config(cli.config)
    incident_id = cli.query(lambda conn: _cat1_incident(conn, config))
    # From today (the command's default), whatever the machine's date: the latest to start.
    done = cli("customer", "contract", "acme", "--tier", "cat2", "--ends", "2099-01-01")
    assert done.code == 0
    assert re.search(r"Contract for acme: cat2 from \d{4}-\d\d-\d\d, until 2099-01-01", done.out)
    assert f"Open incidents moved to the terms now in force: #{incident_id}" in done.out
    incident = cli.query(lambda conn: incident_store.get_incident(conn, incident_id))
    assert incident is not None and incident.tier == "cat2"
