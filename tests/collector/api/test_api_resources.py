"""The JSON API: bearer tokens, customers, hosts and their keys, faults, incidents, outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent import protocol
from collector.app import create_app
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config, report_body, signed

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACME = {
    "id": "acme",
    "name": "Acme Telecom Ltd",
    "contacts": [{"name": "Ann Example", "email": "ann@acme.example"}],
    "contract": {"tier": "cat2", "starts_on": "2026-01-01", "ends_on": "2027-01-01", "ports": 12},
}


@dataclass
class Api:
    client: TestClient[Any, Any]
    db: Database
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, status: int = 200, **params: str) -> Any:
        response = await self.client.get(path, headers=self.auth, params=params)
        assert response.status == status, await response.text()
        return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.client.post(path, headers=self.auth, json=body)
        assert response.status == status, await response.text()
        return await response.json()


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Api]:
    app = create_app(collector_config(sqlite_url, tmp_path), clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        token = await db.write(create_token, "alice", "tests", NOW)
        yield Api(client, db, token)


async def add_acme_host(api: Api, host_id: str = "pbx-1") -> str:
    await api.post("/api/v1/customers", ACME, status=201)
    created = await api.post(
        "/api/v1/hosts", {"id": host_id, "customer_id": "acme", "kind": "pbx"}, status=201
    )
    return str(created["key"])


async def push_report(api: Api, key: str, seq: int) -> int:
    body = protocol.encode(report_body("pbx-1", seq))
    response = await api.client.post(
        protocol.REPORTS_PATH, data=body, headers=signed(body, "pbx-1", key)
    )
    return response.status


async def test_it_refuses_requests_without_a_valid_token(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer fd_not-a-token"}, {"Authorization": "Basic x"}):
        response = await api.client.get("/api/v1/hosts", headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["field"] == "Authorization"
    response = await api.client.post("/api/v1/customers", json=ACME)
    assert response.status == 401
    assert await api.get("/api/v1/customers") == []


async def test_it_answers_json_for_an_unknown_endpoint_or_method(api: Api) -> None:
    missing = await api.client.get("/api/v1/nothing", headers=api.auth)
    assert missing.status == 404
    assert await missing.json() == {"error": "not found: GET /api/v1/nothing"}
    wrong_method = await api.client.delete("/api/v1/hosts", headers=api.auth)
    assert wrong_method.status == 405
    assert "GET" in wrong_method.headers["Allow"]
    assert (await wrong_method.json())["error"].startswith("method not allowed")


async def test_it_creates_and_lists_a_customer_with_contacts_and_contract(api: Api) -> None:
    created = await api.post("/api/v1/customers", ACME, status=201)
    assert created["contacts"] == ACME["contacts"]
    assert created["contract"] == ACME["contract"]
    assert created["created_at"] == "2026-03-02T09:30:00Z"
    assert await api.get("/api/v1/customers") == [created]


async def test_it_gives_a_new_customer_without_a_contract_one_month_of_cat1(api: Api) -> None:
    created = await api.post("/api/v1/customers", {"id": "new", "name": "New"}, status=201)
    assert created["contract"] == {
        "tier": "cat1",
        "starts_on": "2026-03-02",
        "ends_on": "2026-04-02",
        "ports": 0,
    }


async def test_it_refuses_bad_customer_bodies_naming_the_field(api: Api) -> None:
    cases = [
        ({"name": "No id"}, "id"),
        ({"id": "has space", "name": "x"}, "id"),
        (
            {"id": "a", "name": "x", "contacts": [{"name": "B", "email": "nope"}]},
            "contacts.0.email",
        ),
        ({"id": "a", "name": "x", "colour": "red"}, "colour"),
        (
            {"id": "a", "name": "x", "contract": {"tier": "cat1", "starts_on": "2026-02-30"}},
            "contract.starts_on",
        ),
        (
            {
                "id": "a",
                "name": "x",
                "contract": {"tier": "cat1", "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
            },
            "contract.ends_on",
        ),
        (
            {"id": "a", "name": "x", "contract": {"tier": "gold", "starts_on": "2026-01-01"}},
            "contract.tier",
        ),
    ]
    for body, field in cases:
        refusal = await api.post("/api/v1/customers", body, status=400)
        assert refusal["field"] == field, refusal
    response = await api.client.post("/api/v1/customers", data=b"{not json", headers=api.auth)
    assert response.status == 400
    assert await api.get("/api/v1/customers") == []


async def test_it_refuses_names_with_control_characters_naming_the_field(api: Api) -> None:
    injected = "Acme\r\nBcc: attacker@evil.example"
    contact = {"name": "Ann\nExample", "email": "ann@acme.example"}
    for body, field in (
        ({**ACME, "name": injected}, "name"),
        ({**ACME, "contacts": [contact]}, "contacts.0.name"),
        ({**ACME, "name": "Acme\u2028Ltd"}, "name"),
    ):
        refusal = await api.post("/api/v1/customers", body, status=400)
        assert refusal["field"] == field, refusal
        assert "control characters" in refusal["error"], refusal
    assert await api.get("/api/v1/customers") == []
    await api.post("/api/v1/customers", ACME, status=201)
    host = {"id": "pbx-1", "customer_id": "acme", "name": "pbx\t1"}
    refusal = await api.post("/api/v1/hosts", host, status=400)
    assert refusal["field"] == "name" and "(found \\t)" in refusal["error"], refusal
    assert await api.get("/api/v1/hosts") == []


async def test_it_answers_409_for_an_existing_customer_or_host(api: Api) -> None:
    await add_acme_host(api)
    refusal = await api.post("/api/v1/customers", {**ACME, "name": "Other"}, status=409)
    assert refusal["field"] == "id"
    refusal = await api.post("/api/v1/hosts", {"id": "pbx-1", "customer_id": "acme"}, status=409)
    assert refusal["field"] == "id"
    customers = await api.get("/api/v1/customers")
    assert [c["name"] for c in customers] == ["Acme Telecom Ltd"]


async def test_it_shows_a_host_key_only_when_created(api: Api) -> None:
    key = await add_acme_host(api)
    assert len(key) == 64
    host = await api.get("/api/v1/hosts/pbx-1")
    assert host == {
        "id": "pbx-1",
        "customer_id": "acme",
        "name": "pbx-1",
        "kind": "pbx",
        "interval_s": None,
        "agent_interval_s": None,
        "heartbeat_interval_s": 60.0,
        "interval_source": "default",
        "last_seen_at": None,
        "last_seq": None,
        "latest": {},
    }
    del host["latest"]  # the list leaves the figures out
    assert await api.get("/api/v1/hosts") == [host]
    assert await api.get("/api/v1/hosts", customer="acme") == [host]
    assert key not in await (await api.client.get("/api/v1/hosts", headers=api.auth)).text()


async def test_it_refuses_bad_host_requests(api: Api) -> None:
    await api.post("/api/v1/customers", ACME, status=201)
    refusal = await api.post("/api/v1/hosts", {"id": "h", "customer_id": "nobody"}, status=404)
    assert refusal["field"] == "customer_id"
    refusal = await api.post(
        "/api/v1/hosts", {"id": "h", "customer_id": "acme", "kind": "fax"}, 400
    )
    assert refusal["field"] == "kind"
    refusal = await api.post(
        "/api/v1/hosts", {"id": "h", "customer_id": "acme", "interval_s": 0}, status=400
    )
    assert refusal["field"] == "interval_s"
    assert await api.get("/api/v1/hosts") == []
    assert (await api.get("/api/v1/hosts", 404, customer="nobody"))["field"] == "customer"
    await api.get("/api/v1/hosts/nothing", status=404)
    await api.post("/api/v1/hosts/nothing/rotate-key", status=404)


async def test_it_rotates_a_key_so_only_the_new_one_signs_reports(api: Api) -> None:
    old_key = await add_acme_host(api)
    assert await push_report(api, old_key, seq=1) == 200
    rotated = await api.post("/api/v1/hosts/pbx-1/rotate-key")
    new_key = rotated["key"]
    assert new_key != old_key
    assert rotated["id"] == "pbx-1"
    assert await push_report(api, old_key, seq=2) == 401
    assert await push_report(api, new_key, seq=2) == 200
    assert (await api.get("/api/v1/hosts/pbx-1"))["last_seq"] == 2


async def open_fault(api: Api) -> int:
    await add_acme_host(api)
    return await api.db.write(
        fault_store.open_fault,
        host_id="pbx-1",
        check_key="disk:/",
        severity="major",
        title="Disk / 91% full",
        detail="91.2% used",
        at=NOW,
    )


async def test_it_lists_faults_and_shows_one_with_its_events(api: Api) -> None:
    fault_id = await open_fault(api)
    listed = await api.get("/api/v1/faults", open="true", host="pbx-1")
    assert [f["id"] for f in listed] == [fault_id]
    assert listed[0]["opened_at"] == "2026-03-02T09:30:00Z"
    assert listed[0]["open"] is True
    fault = await api.get(f"/api/v1/faults/{fault_id}")
    assert fault["title"] == "Disk / 91% full"
    assert fault["events"] == [
        {"at": "2026-03-02T09:30:00Z", "kind": "opened", "detail": "major: Disk / 91% full"}
    ]
    assert fault["incident"] is None
    await api.get("/api/v1/faults/999", status=404)
    await api.get("/api/v1/faults/abc", status=404)
    await api.get("/api/v1/faults", status=404, host="nothing")
    assert (await api.get("/api/v1/faults", status=400, open="maybe"))["field"] == "open"


async def test_it_acknowledges_a_fault_once_and_tells_the_vendor(api: Api) -> None:
    fault_id = await open_fault(api)
    acked = await api.post(f"/api/v1/faults/{fault_id}/acknowledge", {"comment": "on it"})
    assert acked["acknowledged_by"] == "alice"
    assert acked["ack_comment"] == "on it"
    assert acked["acknowledged_at"] == "2026-03-02T09:30:00Z"
    assert acked["events"][-1]["kind"] == "acknowledged"
    again = await api.post(f"/api/v1/faults/{fault_id}/acknowledge", {}, status=409)
    assert "alice" in again["error"]
    await api.post("/api/v1/faults/999/acknowledge", {}, status=404)
    refusal = await api.post(f"/api/v1/faults/{fault_id}/acknowledge", {"comment": 3}, 400)
    assert refusal["field"] == "comment"
    mail = await api.get("/api/v1/outbox", fault=str(fault_id))
    assert [m["recipient"] for m in mail] == ["noc@localhost"]
    assert mail[0]["status"] == "pending"
    assert mail[0]["attempts"] == 0
    assert "body" not in mail[0]


async def test_it_lists_incidents(api: Api) -> None:
    fault_id = await open_fault(api)
    await api.db.write(
        incident_store.open_incident,
        fault_id=fault_id,
        customer_id="acme",
        tier="cat2",
        covered=True,
        severity="major",
        opened_at=NOW,
        response_due_at=datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
        policy={"tier": "cat2"},
    )
    [incident] = await api.get("/api/v1/incidents", open="true")
    assert incident["fault_id"] == fault_id
    assert incident["response_due_at"] == "2026-03-02T13:30:00Z"
    assert incident["closed_at"] is None
    assert (await api.get(f"/api/v1/faults/{fault_id}"))["incident"] == incident
    assert (await api.get("/api/v1/incidents", 400, limit="0"))["field"] == "limit"
