"""One host in depth through the JSON API: its remote checks and results, its fault history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from collector.app import create_app
from collector.probes.base import ProbeResult, Verdict
from collector.store import faults as fault_store
from collector.store import inventory, probe_results
from collector.store.database import Database
from collector.store.operators import create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented
from tests.support.operators import operator_without_password

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PROBES = "/api/v1/hosts/{id}/probes"
FAULTS = "/api/v1/hosts/{id}/faults"


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Documented]:
    app = create_app(collector_config(sqlite_url, tmp_path), clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(operator_without_password, "alice")
        await db.write(inventory_with_two_hosts)
        yield Documented(client, await db.write(create_token, "alice", "tests", NOW))


def inventory_with_two_hosts(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "pbx-1", "acme", NOW, name="Main PBX", kind="pbx")
    inventory.add_host(conn, "web-1", "acme", NOW)


def probe_history(conn: Connection) -> None:
    """ssh ran twice (ok, then critical), http:portal once (warning), tcp never."""
    ssh = probe_results.add_check(conn, "pbx-1", "ssh", "pbx-1.acme.example:22", NOW)
    portal = probe_results.add_check(
        conn, "pbx-1", "http", "https://pbx-1.acme.example/", NOW, name="portal"
    )
    probe_results.add_check(conn, "pbx-1", "tcp", "pbx-1.acme.example:5060", NOW)
    other = probe_results.add_check(conn, "web-1", "tcp", "web-1.acme.example:443", NOW)
    runs = [
        (ssh, Verdict.OK, 12.5, "SSH-2.0-OpenSSH_9.2", NOW - timedelta(minutes=2)),
        (portal, Verdict.WARNING, 80.0, "certificate expires in 10 days", NOW - timedelta(1)),
        (ssh, Verdict.CRITICAL, None, "connection refused", NOW - timedelta(minutes=1)),
        (other, Verdict.OK, 3.0, "open", NOW),
    ]
    for check, verdict, latency, detail, at in runs:
        data = {"days_left": 10} if check.kind == "http" else {}
        result = ProbeResult(check.kind, check.target, verdict, latency, detail, data)
        probe_results.record_result(conn, check, result, at)


async def test_it_shows_each_check_with_its_newest_result_and_the_recent_results(
    api: Documented,
) -> None:
    await api.client.app[DATABASE].write(probe_history)
    body = await api.call("GET", PROBES, 200, "/api/v1/hosts/pbx-1/probes")
    assert body["host_id"] == "pbx-1"
    checks = {check["label"]: check for check in body["checks"]}
    assert list(checks) == ["http:portal", "ssh", "tcp"]
    assert checks["ssh"]["latest"]["verdict"] == "critical"
    assert checks["ssh"]["latest"]["latency_ms"] is None
    assert checks["http:portal"]["latest"]["data"] == {"days_left": 10}
    assert checks["tcp"]["latest"] is None  # never run yet
    assert "options" not in checks["ssh"]
    verdicts = [(r["kind"], r["verdict"], r["at"]) for r in body["results"]]
    assert verdicts == [
        ("ssh", "critical", "2026-03-02T09:29:00Z"),
        ("ssh", "ok", "2026-03-02T09:28:00Z"),
        ("http", "warning", "2026-03-01T09:30:00Z"),
    ]
    newest = await api.call("GET", PROBES, 200, "/api/v1/hosts/pbx-1/probes?limit=1")
    assert len(newest["results"]) == 1 and len(newest["checks"]) == 3


async def test_it_answers_empty_lists_for_a_host_without_checks(api: Documented) -> None:
    body = await api.call("GET", PROBES, 200, "/api/v1/hosts/web-1/probes")
    assert body == {"host_id": "web-1", "checks": [], "results": []}


def two_faults(db: Database) -> tuple[int, int]:
    def write(conn: Connection) -> tuple[int, int]:
        old = fault_store.open_fault(
            conn,
            host_id="pbx-1",
            check_key="disk:/",
            severity="major",
            title="Disk / 96% full",
            detail="",
            at=NOW - timedelta(hours=3),
        )
        new = fault_store.open_fault(
            conn,
            host_id="pbx-1",
            check_key="agent.heartbeat",
            severity="critical",
            title="Agent silent",
            detail="",
            at=NOW - timedelta(hours=1),
        )
        fault_store.record_event(conn, old, NOW - timedelta(hours=2), "resolved", "back to 60%")
        return old, new

    return db.transaction(write)


async def test_it_gives_the_hosts_fault_history_newest_first_with_events(
    api: Documented,
) -> None:
    old, new = two_faults(api.client.app[DATABASE])
    path = f"/api/v1/faults/{new}/acknowledge"
    await api.call("POST", "/api/v1/faults/{id}/acknowledge", 200, path, json={"comment": "on it"})
    history = await api.call("GET", FAULTS, 200, "/api/v1/hosts/pbx-1/faults")
    assert [f["id"] for f in history] == [new, old]
    assert [e["kind"] for e in history[0]["events"]] == ["opened", "acknowledged"]
    assert [e["kind"] for e in history[1]["events"]] == ["opened", "resolved"]
    assert history[0]["acknowledged_by"] == "alice"
    assert await api.call("GET", FAULTS, 200, "/api/v1/hosts/web-1/faults") == []
    latest = await api.call("GET", FAULTS, 200, "/api/v1/hosts/pbx-1/faults?limit=1&open=true")
    assert [f["id"] for f in latest] == [new]


async def test_it_refuses_unknown_hosts_bad_parameters_and_missing_tokens(
    api: Documented,
) -> None:
    for template in (PROBES, FAULTS):
        missing = template.replace("{id}", "nothing")
        assert "nothing" in (await api.call("GET", template, 404, missing))["error"]
        path = template.replace("{id}", "pbx-1")
        assert (await api.call("GET", template, 400, path + "?limit=0"))["field"] == "limit"
        await api.call("GET", template, 401, path, headers={})
    bad_flag = FAULTS.replace("{id}", "pbx-1") + "?open=perhaps"
    assert (await api.call("GET", FAULTS, 400, bad_flag))["field"] == "open"
