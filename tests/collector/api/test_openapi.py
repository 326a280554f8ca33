"""The OpenAPI document says exactly what the collector serves, in the shapes it answers with."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from agent import protocol
from collector.app import create_app
from collector.ingest import report_body
from collector.operations import accounts, acknowledge, inventory, tickets
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from dashboard import csrf
from tests.support.collector import collector_config, signed
from tests.support.collector import report_body as sample_report
from tests.support.openapi import DOCUMENT, Documented, resolve

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
#: Routes for tools and customers' mail; the rest are the operators' HTML dashboard and assets.
PUBLIC = re.compile(r"^/(api/|ack/|page-ack/|healthz$|readyz$|metrics$)")


def normalised(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def documented_operations() -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method.upper(), normalised(path))
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in methods
    }


def served_operations(app: web.Application) -> set[tuple[str, str]]:
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method != "HEAD" and PUBLIC.match(path):
            served.add((route.method, normalised(path)))
    return served


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_it_documents_every_public_route_and_nothing_else(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(collector_config(sqlite_url, tmp_path), run_schedules=False)
    assert served_operations(app) == documented_operations()


def test_it_resolves_every_reference() -> None:
    for ref in refs(DOCUMENT):
        assert ref.startswith("#/"), ref
        resolve(ref)


def test_it_puts_every_json_api_operation_behind_the_bearer_token() -> None:
    open_paths = {"/api/v1/reports", "/api/v1/openapi.json"}
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            protected = path.startswith("/api/v1/") and path not in open_paths
            assert ("security" in operation) == protected, (method, path)
            if protected:
                assert operation["security"] == [{"bearerAuth": []}]
                assert "401" in operation["responses"]


@pytest.mark.parametrize(
    ("model", "schema"),
    [
        (report_body.ReportBody, "ReportBody"),
        (report_body.ProbeEntryModel, "ProbeEntry"),
        (inventory.NewCustomer, "NewCustomer"),
        (inventory.ContactIn, "Contact"),
        (inventory.ContractIn, "Contract"),
        (inventory.NewHost, "NewHost"),
        (acknowledge.Acknowledgement, "Acknowledgement"),
        (tickets.NewTicket, "NewTicket"),
        (tickets.NewComment, "NewComment"),
        (accounts.NewCustomerUser, "NewCustomerUser"),
    ],
)
def test_it_documents_request_bodies_as_they_are_validated(
    model: type[BaseModel], schema: str
) -> None:
    documented = DOCUMENT["components"]["schemas"][schema]
    actual = model.model_json_schema()
    assert set(documented["properties"]) == set(actual["properties"])
    assert set(documented.get("required", [])) == set(actual.get("required", []))


def test_it_names_the_ack_forms_fields_as_the_page_reads_them() -> None:
    form = DOCUMENT["components"]["schemas"]["AckForm"]
    assert set(form["properties"]) == {"comment", csrf.FIELD}


@pytest.fixture
async def documented(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Documented]:
    app = create_app(collector_config(sqlite_url, tmp_path), clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", NOW)
        yield Documented(client, await db.write(create_token, "alice", "tests", NOW))


async def open_fault_with_incident(client: TestClient[Any, Any]) -> int:
    db = client.app[DATABASE]
    fault_id = await db.write(
        fault_store.open_fault,
        host_id="pbx-1",
        check_key="heartbeat",
        severity="critical",
        title="Agent silent",
        detail="no report for 3 intervals",
        at=NOW,
    )
    await db.write(
        incident_store.open_incident,
        fault_id=fault_id,
        customer_id="acme",
        tier="cat1",
        covered=True,
        severity="critical",
        opened_at=NOW,
        response_due_at=None,
        policy={"tier": "cat1"},
    )
    return fault_id


async def test_it_answers_in_the_documented_shapes(documented: Documented) -> None:
    call = documented.call
    customer = {"id": "acme", "name": "Acme", "contacts": [{"name": "A", "email": "a@x.example"}]}
    await call("POST", "/api/v1/customers", 201, json=customer)
    await call("POST", "/api/v1/customers", 409, json=customer)
    await call("POST", "/api/v1/customers", 400, json={"id": "x"})
    await call("GET", "/api/v1/customers", 200)
    created = await call("POST", "/api/v1/hosts", 201, json={"id": "pbx-1", "customer_id": "acme"})
    await call("GET", "/api/v1/hosts", 200, params={"customer": "acme"})
    await call("GET", "/api/v1/hosts", 404, params={"customer": "nobody"})
    await call("GET", "/api/v1/hosts/{id}", 200, "/api/v1/hosts/pbx-1")
    await call("GET", "/api/v1/hosts/{id}", 404, "/api/v1/hosts/nothing")
    await call("POST", "/api/v1/hosts/{id}/rotate-key", 404, "/api/v1/hosts/nothing/rotate-key")
    await call("GET", "/api/v1/hosts", 401, headers={})
    body = protocol.encode(sample_report("pbx-1", 1))
    await call("POST", "/api/v1/reports", 200, data=body, headers=signed(body, key=created["key"]))
    await call("POST", "/api/v1/reports", 401, data=body, headers=signed(body, key="0" * 64))
    await call(
        "POST", "/api/v1/reports", 400, data=b"[]", headers=signed(b"[]", key=created["key"])
    )
    fault_id = await open_fault_with_incident(documented.client)
    fault_path = f"/api/v1/faults/{fault_id}"
    await call("GET", "/api/v1/faults", 200, params={"open": "true"})
    await call("GET", "/api/v1/faults", 400, params={"open": "perhaps"})
    await call("GET", "/api/v1/faults/{id}", 200, fault_path)
    await call("POST", "/api/v1/faults/{id}/acknowledge", 200, fault_path + "/acknowledge")
    await call("POST", "/api/v1/faults/{id}/acknowledge", 409, fault_path + "/acknowledge")
    await call("GET", "/api/v1/incidents", 200)
    await call("GET", "/api/v1/outbox", 200)
    for path in ("/healthz", "/readyz", "/metrics"):
        await call("GET", path, 200, headers={})


async def test_it_serves_this_document(documented: Documented) -> None:
    served = await documented.call("GET", "/api/v1/openapi.json", 200, headers={})
    assert served == DOCUMENT
    assert served["openapi"].startswith("3.1")
