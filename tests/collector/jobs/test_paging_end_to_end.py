"""Paging end to end: a critical incident at 03:00 on Premium wakes the engineer on call.

An agent report says the PBX is down; the pipeline opens the fault and its incident; the paging
sweep, run at fixed moments as the clock steps on, writes pages whose SMS-gateway mail the
outbox sender delivers to a real SMTP server. The customer's acknowledgement (from their own
mail, through the collector's web pages) does not stop the paging; the escalated engineer's
acknowledgement (from the page) does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, select

from agent import protocol
from collector.app import create_app
from collector.config.oncall import OnCallSettings
from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.domain.maintenance import MaintenanceWindow
from collector.engine.pipeline import process_reports, sweep
from collector.jobs.mail_sender import OutboxSender
from collector.jobs.paging import sweep_paging
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store import incidents, inventory
from collector.store import maintenance as maintenance_store
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import incidents as incident_table
from collector.store.schema import pages
from tests.support.clock import Clock
from tests.support.smtp import Inbox, smtp_server

pytestmark = pytest.mark.integration

# Wednesday 4 November 2026, 03:00 in New York: outside Premium's staffed hours (07-19 ET).
THREE_AM = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
CONTACT = "jo@acme.example"
GATEWAY = {
    name: f"1555000{i}@sms.pager.example" for i, name in enumerate(("alice", "bob", "carol"))
}
ROTA = {
    "people": [
        {"name": name, "timezone": "America/New_York", "pager": {"email": address}}
        for name, address in GATEWAY.items()
    ],
    # Monday 2 November starts alice's week, so she is on call at 03:00 on the Wednesday.
    "rotation": {
        "zone": "America/New_York",
        "handover_day": "monday",
        "handover_time": "09:00",
        "starts_on": "2026-11-02",
        "people": list(GATEWAY),
    },
}
_LINK = re.compile(r"https?://[^/\s]+(/(?:page-)?ack/\S+)")

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def config_settings(smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {
        "smtp": SmtpSettings(host="127.0.0.1", port=smtp[1], timeout_s=10),
        "mail": MailSettings(noc="noc@vendor.example"),
        "oncall": OnCallSettings.model_validate(ROTA),
    }


@pytest.fixture
async def client(config: CollectorConfig, clock: Clock) -> AsyncIterator[Client]:
    app = create_app(config, clock=clock, run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock(THREE_AM)


def _premium_pbx(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", THREE_AM - timedelta(days=60))
    inventory.set_contacts(conn, "acme", [("Jo", CONTACT)])
    start = THREE_AM - timedelta(days=30)
    inventory.add_contract(conn, "acme", "premium", start, start + timedelta(days=365))
    inventory.add_host(conn, "acme-pbx", "acme", start, name="pbx1", kind="pbx", interval_s=60.0)


def _pbx_down(conn: Connection, seq: int, at: datetime) -> None:
    """An agent report: Asterisk's manager interface does not answer (the PBX is down)."""
    asterisk = {"status": "ok", "metrics": {"reachable": False}, "error": None}
    body = protocol.build_report(
        host_id="acme-pbx", seq=seq, sampled_at=at, interval_s=60.0,
        agent_version="test", probes={"asterisk": asterisk},
    )  # fmt: skip
    store_reports(conn, [IncomingReport("acme-pbx", seq, at, body)], at)


def _pages(conn: Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(select(pages).order_by(pages.c.id))
    return [(row.kind, row.person, row.status) for row in rows]


def _engineer_ack(conn: Connection, incident_id: int) -> tuple[Any, ...]:
    query = select(
        incident_table.c.engineer_acknowledged_at, incident_table.c.engineer_acknowledged_by
    ).where(incident_table.c.id == incident_id)
    return tuple(conn.execute(query).one())


def _link(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    body = part.get_content()
    match = _LINK.search(body)
    assert match, f"no link in {body!r}"
    return match.group(1)


async def _confirm(client: Client, path: str) -> str:
    """Follow a link as a person does: the page, then its confirm button."""
    page = await client.get(path)
    assert page.status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token, "no confirm form"
    response = await client.post(path, data={"csrf_token": token.group(1)})
    assert response.status == 200
    return await response.text()


async def test_it_pages_repages_escalates_and_stops_only_for_an_engineer(
    db: Database, config: CollectorConfig, smtp: tuple[Inbox, int], clock: Clock, client: Client
) -> None:
    inbox = smtp[0]
    sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), clock)

    async def at(minutes: int) -> int:
        """Step the clock to 03:00 + ``minutes``, sweep, deliver; returns pages written."""
        clock.now = THREE_AM + timedelta(minutes=minutes)
        written = await db.write(sweep_paging, config, clock.now)
        await sender.deliver_due()
        return written

    await db.write(_premium_pbx)
    for seq, moment in enumerate((THREE_AM - timedelta(minutes=1), THREE_AM), start=1):
        await db.write(_pbx_down, seq, moment)
        await db.write(process_reports, config, moment)
    (incident,) = await db.read(incidents.list_incidents)
    assert (incident.tier, incident.severity) == ("premium", "critical")

    assert await at(0) == 1
    page = await inbox.wait_for(GATEWAY["alice"], "PAGE CRITICAL")
    subject = str(page["Subject"])
    assert (
        f"INC-2026-{incident.id:04d}" in subject
        and "Acme Ltd/pbx1" in subject
        and "PBX not answering" in subject
    )
    assert "Respond within 1 h" in page.get_content()
    assert "/page-ack/" in _link(page)

    # The customer acknowledges the fault from their own mail: paging goes on regardless.
    clock.now = THREE_AM + timedelta(minutes=5)
    customer_mail = await inbox.wait_for(CONTACT, "FAULT")
    assert 'id="thanks"' in await _confirm(client, _link(customer_mail))
    assert await at(10) == 0
    assert await at(15) == 1
    await inbox.wait_for(GATEWAY["alice"], "REPAGE CRITICAL")
    assert await at(30) == 1
    escalated = await inbox.wait_for(GATEWAY["bob"], "ESCALATED CRITICAL")
    assert "alice did not acknowledge" in escalated.get_content()

    # Bob opens his page's link (a messaging app previewing it would too): that alone is not
    # an acknowledgement; confirming is.
    clock.now = THREE_AM + timedelta(minutes=33)
    path = _link(escalated)
    assert (await client.get(path)).status == 200
    assert await db.read(_engineer_ack, incident.id) == (None, None)
    assert "Paging stopped" in await _confirm(client, path)
    assert await db.read(_engineer_ack, incident.id) == (clock.now, "bob")

    for minutes in (45, 60, 120):
        assert await at(minutes) == 0
    assert await db.read(_pages) == [
        ("page", "alice", "sent"),
        ("repage", "alice", "sent"),
        ("escalate", "bob", "sent"),
    ]
    paged = [m for m in inbox.messages if m["To"] in GATEWAY.values()]
    assert [(m["To"], str(m["Subject"]).split()[0]) for m in paged] == [
        (GATEWAY["alice"], "PAGE"),
        (GATEWAY["alice"], "REPAGE"),
        (GATEWAY["bob"], "ESCALATED"),
    ]


async def test_a_critical_premium_incident_in_staffed_hours_goes_to_the_desk_not_the_pager(
    db: Database, config: CollectorConfig, clock: Clock
) -> None:
    ten_am = THREE_AM + timedelta(hours=7)  # Wednesday 10:00 in New York: the line is staffed
    await db.write(_premium_pbx)
    for seq, moment in enumerate((ten_am - timedelta(minutes=1), ten_am), start=1):
        await db.write(_pbx_down, seq, moment)
        await db.write(process_reports, config, moment)
    (incident,) = await db.read(incidents.list_incidents)
    assert (incident.tier, incident.severity) == ("premium", "critical")
    assert incident.policy["staffed_hours"]["zone"] == "America/New_York"

    for minutes in (0, 15, 30, 120):
        assert await db.write(sweep_paging, config, ten_am + timedelta(minutes=minutes)) == 0
    assert await db.read(_pages) == []


async def test_it_pages_when_the_staffed_line_closes_on_a_critical_incident_still_unanswered(
    db: Database, config: CollectorConfig, smtp: tuple[Inbox, int], clock: Clock
) -> None:
    inbox = smtp[0]
    sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), clock)
    half_six = THREE_AM + timedelta(hours=15, minutes=30)  # Wednesday 18:30 in New York
    await db.write(_premium_pbx)
    for seq, moment in enumerate((half_six - timedelta(minutes=1), half_six), start=1):
        await db.write(_pbx_down, seq, moment)
        await db.write(process_reports, config, moment)

    for minutes in (0, 15, 29):
        assert await db.write(sweep_paging, config, half_six + timedelta(minutes=minutes)) == 0
    clock.now = half_six + timedelta(minutes=30)  # 19:00: the line closes
    assert await db.write(sweep_paging, config, clock.now) == 1
    await sender.deliver_due()
    await inbox.wait_for(GATEWAY["alice"], "PAGE CRITICAL")
    assert await db.read(_pages) == [("page", "alice", "sent")]


async def test_it_holds_pages_during_maintenance_and_pages_when_the_window_ends_with_it_open(
    db: Database, config: CollectorConfig, smtp: tuple[Inbox, int], clock: Clock
) -> None:
    inbox = smtp[0]
    sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), clock)
    window = MaintenanceWindow(
        window_id="0",
        frequency="once",
        starts_at=THREE_AM - timedelta(minutes=30),
        ends_at=THREE_AM + timedelta(hours=1),
        host_id="acme-pbx",
        reason="PBX upgrade",
    )
    await db.write(_premium_pbx)
    await db.write(maintenance_store.add_window, window, "acme", "ops", THREE_AM)
    for seq, moment in enumerate((THREE_AM - timedelta(minutes=1), THREE_AM), start=1):
        await db.write(_pbx_down, seq, moment)
        await db.write(process_reports, config, moment)
    # Planned work: no mail, so no incident, and nobody is woken.
    assert await db.read(incidents.list_incidents) == []
    for minutes in (0, 15, 30, 59):
        assert await db.write(sweep_paging, config, THREE_AM + timedelta(minutes=minutes)) == 0

    clock.now = THREE_AM + timedelta(minutes=60)  # the window ends with the PBX still down
    await db.write(_pbx_down, 3, clock.now)
    await db.write(process_reports, config, clock.now)
    await db.write(sweep, config, clock.now)  # the held mail goes out and the incident opens
    (incident,) = await db.read(incidents.list_incidents)
    assert incident.opened_at == clock.now and incident.policy["pages_on_call"] is True
    assert await db.write(sweep_paging, config, clock.now) == 1
    await sender.deliver_due()
    await inbox.wait_for(GATEWAY["alice"], "PAGE CRITICAL")
    assert await db.read(_pages) == [("page", "alice", "sent")]
