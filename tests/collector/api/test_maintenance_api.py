"""Maintenance windows through the JSON API: create, list, end, refusals, and the mail they hold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, select

from agent import protocol
from collector.app import create_app
from collector.config.settings import MailSettings
from collector.engine import pipeline
from collector.operations.maintenance import NewMaintenanceWindow
from collector.store import faults as fault_store
from collector.store import maintenance as maintenance_store
from collector.store.database import Database
from collector.store.operators import create_token
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import outbox
from collector.web.appkeys import CONFIG, DATABASE
from tests.support.clock import Clock
from tests.support.collector import collector_config
from tests.support.openapi import DOCUMENT, Documented
from tests.support.operators import operator_without_password

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday
ACME = {"id": "acme", "name": "Acme", "contacts": [{"name": "Jo", "email": "jo@acme.example"}]}
PATH = "/api/v1/maintenance"
END = "/api/v1/maintenance/{id}/end"


class Api(Documented):
    """Every answer is checked against the OpenAPI document; the clock is the test's."""

    def __init__(
        self, client: TestClient[Any, Any], token: str, clock: Clock, db: Database
    ) -> None:
        super().__init__(client, token)
        self.clock = clock
        self.db = db

    async def create(self, body: dict[str, Any], status: int = 201) -> Any:
        return await self.call("POST", PATH, status, json=body)

    async def listing(self, status: int = 200, **params: str) -> Any:
        return await self.call("GET", PATH, status, params=params)

    async def end(self, window_id: object, status: int = 200) -> Any:
        return await self.call("POST", END, status, f"{PATH}/{window_id}/end")


@pytest.fixture
async def api(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Api]:
    clock = Clock(NOW)
    config = collector_config(sqlite_url, tmp_path, mail=MailSettings(noc="noc@vendor.example"))
    app = create_app(config, clock=clock, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(operator_without_password, "alice")
        api = Api(client, await db.write(create_token, "alice", "tests", NOW), clock, db)
        await api.call("POST", "/api/v1/customers", 201, json=ACME)
        await api.call("POST", "/api/v1/customers", 201, json={"id": "zed", "name": "Zed"})
        for host, customer in (("pbx-1", "acme"), ("web-1", "acme"), ("zed-1", "zed")):
            body = {"id": host, "customer_id": customer, "interval_s": 60}
            await api.call("POST", "/api/v1/hosts", 201, json=body)
        yield api


def one_off(host: str | None = "pbx-1", **changes: Any) -> dict[str, Any]:
    body = {
        "customer_id": "acme",
        "host_id": host,
        "frequency": "once",
        "starts_at": "2026-03-02T09:00:00Z",
        "ends_at": "2026-03-02T11:00:00+00:00",
        "reason": "replacing the PSU",
    }
    return {**body, **changes}


def weekly(**changes: Any) -> dict[str, Any]:
    body = {
        "customer_id": "acme",
        "frequency": "weekly",
        "local_time": "02:00",
        "timezone": "Europe/London",
        "weekdays": ["SA", "SU"],
        "duration_s": 7200,
    }
    return {**body, **changes}


async def test_it_creates_lists_and_ends_a_one_off_window_for_a_host(api: Api) -> None:
    created = await api.create(one_off())
    assert created["state"] == "in_force" and created["in_force_until"] == "2026-03-02T11:00:00Z"
    assert (created["host_id"], created["customer_id"]) == ("pbx-1", "acme")
    assert created["created_by"] == "alice" and created["reason"] == "replacing the PSU"
    assert await api.listing(active="true") == [created]

    api.clock.advance(timedelta(minutes=10))
    ended = await api.end(created["id"])
    assert ended["state"] == "ended" and ended["ended_at"] == "2026-03-02T09:40:00Z"
    assert ended["in_force_until"] is None
    assert await api.listing(active="true") == []
    assert [w["id"] for w in await api.listing(active="false")] == [created["id"]]
    refused = await api.end(created["id"], status=409)
    assert "ended already" in refused["error"]


async def test_the_engine_sees_each_window_in_force_under_its_own_id(api: Api) -> None:
    first = await api.create(one_off())
    second = await api.create(weekly())
    await api.end(first["id"])
    windows = await api.db.read(maintenance_store.active_windows)
    assert [w.window_id for w in windows] == [str(second["id"])]


async def test_it_follows_a_weekly_window_in_its_own_time_zone(api: Api) -> None:
    created = await api.create(weekly(reason="patching"))
    assert created["state"] == "scheduled" and created["host_id"] is None
    assert (created["local_time"], created["weekdays"]) == ("02:00:00", ["SA", "SU"])
    assert created["starts_at"] == "2026-03-02T09:30:00Z"  # recurring: from now unless told

    api.clock.now = datetime(2026, 3, 7, 2, 30, tzinfo=UTC)  # Saturday, London on GMT
    (listed,) = await api.listing(customer="acme", active="true")
    assert listed["state"] == "in_force" and listed["in_force_until"] == "2026-03-07T04:00:00Z"
    api.clock.now = datetime(2026, 4, 4, 1, 30, tzinfo=UTC)  # Saturday 02:30 in London (BST)
    (listed,) = await api.listing(customer="acme")
    assert listed["in_force_until"] == "2026-04-04T03:00:00Z"


async def test_it_lists_the_windows_covering_a_host_its_own_and_its_customers(api: Api) -> None:
    own = await api.create(one_off("pbx-1"))
    whole_customer = await api.create(weekly())
    await api.create(one_off("web-1"))
    other = await api.create(one_off(None, customer_id="zed"))
    covering = await api.listing(host="pbx-1")
    assert [w["id"] for w in covering] == [whole_customer["id"], own["id"]]
    assert [w["id"] for w in await api.listing(customer="zed")] == [other["id"]]
    assert len(await api.listing()) == 4


async def test_it_counts_a_window_past_its_end_as_ended(api: Api) -> None:
    created = await api.create(weekly(ends_at="2026-03-10T00:00:00Z"))
    api.clock.now = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)  # would be a Saturday occurrence
    assert await api.listing(active="true") == []
    (listed,) = await api.listing(active="false")
    assert listed["id"] == created["id"] and listed["state"] == "ended"


REFUSALS = [
    ({"frequency": "once"}, "customer_id"),
    (one_off(frequency="hourly"), "frequency"),
    (one_off(starts_at=None), "starts_at"),
    (one_off(ends_at=None), "ends_at"),
    (one_off(starts_at="2026-03-02T09:00:00"), "starts_at"),  # no offset
    (one_off(ends_at="2026-03-02T08:00:00Z"), "ends_at"),  # before the start
    (one_off(starts_at="2026-03-01T09:00:00Z", ends_at="2026-03-01T10:00:00Z"), "ends_at"),
    (one_off(local_time="02:00"), "local_time"),
    (one_off(weekdays=["MO"]), "weekdays"),
    (weekly(local_time=None), "local_time"),
    (weekly(local_time="02:00+01:00"), "local_time"),
    (weekly(duration_s=None), "duration_s"),
    (weekly(duration_s=0), "duration_s"),
    (weekly(weekdays=[]), "weekdays"),
    (weekly(weekdays=["SA", "XX"]), "weekdays.1"),
    (weekly(timezone="Mars/Olympus_Mons"), "timezone"),
    (weekly(colour="red"), "colour"),
]
#: Names of things that do not exist (for that customer): 404 naming the field.
MISSING = [
    (one_off("nothing"), "host_id"),
    (one_off("zed-1"), "host_id"),  # a host of another customer
    (one_off(None, customer_id="nobody"), "customer_id"),
]


async def test_it_refuses_a_bad_window_naming_the_field(api: Api) -> None:
    for body, field in REFUSALS:
        refused = await api.create(body, status=400)
        assert refused["field"] == field, (body, refused)
    for body, field in MISSING:
        refused = await api.create(body, status=404)
        assert refused["field"] == field, (body, refused)
    assert await api.listing() == []


async def test_it_answers_404_for_unknown_windows_customers_and_hosts(api: Api) -> None:
    assert "#41" in (await api.end(41, status=404))["error"]
    await api.end("not-a-number", status=404)
    assert (await api.listing(404, customer="nobody"))["field"] == "customer"
    assert (await api.listing(404, host="nothing"))["field"] == "host"
    assert (await api.listing(400, active="perhaps"))["field"] == "active"


async def test_it_requires_an_operator_token(api: Api) -> None:
    created = await api.create(one_off())
    for method, path, template in (
        ("GET", PATH, PATH),
        ("POST", PATH, PATH),
        ("POST", f"{PATH}/{created['id']}/end", END),
    ):
        headers = {"Authorization": "Bearer fd_wrong"}
        await api.call(method, template, 401, path, headers=headers, json=one_off())
    (still,) = await api.listing()
    assert still["state"] == "in_force" and len(await api.listing()) == 1


def test_it_documents_the_body_as_it_is_validated() -> None:
    documented = DOCUMENT["components"]["schemas"]["NewMaintenanceWindow"]
    actual = NewMaintenanceWindow.model_json_schema()
    assert set(documented["properties"]) == set(actual["properties"])
    assert set(documented["required"]) == set(actual["required"])


def full_disk_report(conn: Connection, seq: int, at: datetime) -> None:
    filesystems = {"/": {"used_percent": 97.0, "inodes_used_percent": 2.0}}
    probes = {"system": {"status": "ok", "metrics": {"filesystems": filesystems}, "error": None}}
    body = protocol.build_report(
        host_id="pbx-1", seq=seq, sampled_at=at, interval_s=60, agent_version="t", probes=probes
    )
    store_reports(conn, [IncomingReport("pbx-1", seq, at, body)], at)


def mail_recipients(conn: Connection) -> list[tuple[int | None, str]]:
    return sorted(tuple(row) for row in conn.execute(select(outbox.c.fault_id, outbox.c.recipient)))


async def test_it_records_a_fault_inside_a_window_and_mails_it_once_the_window_ends(
    api: Api,
) -> None:
    db, config = api.client.app[DATABASE], api.client.app[CONFIG]
    window = await api.create(one_off())
    await db.write(full_disk_report, 1, NOW)
    await db.write(pipeline.process_reports, config, NOW)
    # Sweeps well inside every host's heartbeat allowance: the disk is the only fault.
    await db.write(pipeline.sweep, config, NOW + timedelta(minutes=1))

    (fault,) = await db.read(fault_store.list_faults)
    assert (fault.host_id, fault.check_key) == ("pbx-1", "disk:/")
    assert fault.last_notified_at is None
    events = await db.read(fault_store.events, fault.id)
    assert "mail held: maintenance" in events[0].detail
    assert await db.read(mail_recipients) == []

    api.clock.now = NOW + timedelta(minutes=2)
    await api.end(window["id"])
    await db.write(pipeline.sweep, config, api.clock.now)
    assert await db.read(mail_recipients) == [
        (fault.id, "jo@acme.example"),
        (fault.id, "noc@vendor.example"),
    ]
