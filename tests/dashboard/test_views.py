"""Operator pages render the data: overview, faults, one fault, incidents, mail."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, update

from collector.config.settings import CollectorConfig
from collector.notify import outbox
from collector.store import faults, incidents, inventory
from collector.store.database import Database
from collector.store.schema import hosts
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, csrf_token

Client = TestClient[web.Request, web.Application]


def _seen(conn: Connection, host_id: str, minutes_ago: int) -> None:
    at = START - timedelta(minutes=minutes_ago)
    conn.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=at))


def _row(html: str, attribute: str, value: object) -> str:
    match = re.search(rf'<tr {attribute}="{value}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row with {attribute}={value}"
    return match.group(0)


async def test_it_shows_customers_and_hosts_with_their_status(
    operator_client: Client, db: Database
) -> None:
    await db.write(inventory.add_customer, "zed", "Zed Ltd", START)
    await db.write(inventory.add_host, "zed1", "zed", START, interval_s=60)
    await db.write(_seen, "zed1", 1)
    await db.write(_seen, "web1", 10)  # ten missed reports
    response = await operator_client.get("/")
    assert response.status == 200
    html = await response.text()
    assert "Acme &lt;Widgets&gt; &amp; Co" in html and "Zed Ltd" in html
    assert 'data-host-id="pbx1" data-status="critical"' in html
    assert 'data-host-id="web1" data-status="silent"' in html
    assert 'data-host-id="zed1"' not in html  # a quiet customer's hosts are on its page
    problems, customers = html.split('id="customers"')
    assert 'data-customer-id="acme" data-urgency="4"' in problems
    assert problems.index('data-host-id="pbx1"') < problems.index('data-host-id="web1"')
    assert "zed" not in problems
    assert 'data-customer-id="zed" data-urgency="0"' in customers
    # Zed's host is counted, never read one by one: the unfiltered page reads only hosts that
    # may need someone.
    assert (
        '<span class="count" data-state="ok">1 ok</span>' in customers.split('id="customer-zed"')[1]
    )
    assert '<span class="badge level-ok">1 ok</span>' in problems
    assert "last report 10 min ago" in _row(html, "data-host-id", "web1")
    assert "(expected every 60 s)" in _row(html, "data-host-id", "web1")
    searched = await (await operator_client.get("/", params={"q": "zed1"})).text()
    assert 'data-host-id="zed1" data-status="ok"' in searched


async def test_it_lists_open_faults_with_an_acknowledge_button(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get("/faults")).text()
    row = _row(html, "data-fault-id", seeded.fault_id)
    assert 'data-acknowledged="false"' in row and 'class="ack-button"' in row
    assert "2024-05-06 09:30 UTC" in row and "(30 min ago)" in row
    # Everything from agents and customers is escaped.
    assert "<script>" not in html


async def test_it_shows_an_operator_acknowledgement_in_the_list(
    operator_client: Client, seeded: Seeded
) -> None:
    page = await operator_client.get(f"/faults/{seeded.fault_id}")
    form = {"csrf_token": csrf_token(await page.text()), "comment": "looking"}
    response = await operator_client.post(f"/faults/{seeded.fault_id}/ack", data=form)
    assert response.url.path == f"/faults/{seeded.fault_id}"
    html = await response.text()
    assert "acknowledged</span> by olga" in html and "looking" in html
    row = _row(await (await operator_client.get("/faults")).text(), "data-fault-id", 1)
    assert 'data-acknowledged="true"' in row and "ack-button" not in row


async def test_it_shows_one_fault_with_its_history_incident_and_mail(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get(f"/faults/{seeded.fault_id}")).text()
    assert 'data-event="opened"' in html
    assert "cat2" in html and "in 3 h 20 min" in html
    assert "pat@acme.example" in html and "noc@vendor.example" in html
    link = re.search(r'<a href="(/incidents/\d+)" id="incident-link">', html)
    assert link, "the fault page links to its incident"
    assert (await operator_client.get(link.group(1))).status == 200


async def test_it_shows_a_fault_whose_mail_is_held_without_an_incident(
    operator_client: Client, db: Database
) -> None:
    held = await db.write(
        faults.open_fault, host_id="web1", check_key="agent.heartbeat", severity="critical",
        title="Agent silent", detail="", at=START,
    )  # fmt: skip
    html = await (await operator_client.get(f"/faults/{held}")).text()
    assert "No incident for this fault." in html and "incident-link" not in html
    assert _row(await (await operator_client.get("/faults")).text(), "data-fault-id", held)


async def test_it_answers_404_for_an_unknown_fault(operator_client: Client, seeded: Seeded) -> None:
    assert (await operator_client.get("/faults/999")).status == 404
    assert (await operator_client.get("/faults/abc")).status == 404


async def test_it_shows_incidents_with_tier_cover_and_due_times(
    operator_client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    await db.write(_uncovered_incident)
    html = await (await operator_client.get("/incidents")).text()
    covered = _row(html, "data-incident-id", seeded.incident_id)
    assert "cat2" in covered and 'data-covered="true"' in covered
    assert "2024-05-06 13:20 UTC" in covered and "in 3 h 20 min" in covered
    uncovered = _row(html, "data-incident-id", seeded.incident_id + 1)
    assert "not covered" in uncovered and "no target" in uncovered
    clock.advance(timedelta(hours=4))
    html = await (await operator_client.get("/incidents")).text()
    assert "overdue by 40 min" in _row(html, "data-incident-id", seeded.incident_id)


def _uncovered_incident(conn: Connection) -> None:
    from collector.store import faults

    fault_id = faults.open_fault(
        conn, host_id="web1", check_key="heartbeat", severity="major",
        title="Agent silent", detail="", at=START,
    )  # fmt: skip
    incidents.open_incident(
        conn, fault_id=fault_id, customer_id="acme", tier="none", covered=False,
        severity="major", opened_at=START, response_due_at=None, policy={},
    )  # fmt: skip


async def test_it_shows_the_mail_with_status_errors_and_its_ack_link_hidden(
    operator_client: Client, db: Database, config: CollectorConfig
) -> None:
    [noc_mail] = [m for m in await db.read(outbox.recent, 10) if m.recipient.startswith("noc")]
    await db.write(outbox.mark_failed, noc_mail.id, "550 <mailbox> unavailable", retry_at=None)
    html = await (await operator_client.get("/mail")).text()
    failed = _row(html, "data-mail-id", noc_mail.id)
    assert 'data-status="failed"' in failed and "550 &lt;mailbox&gt; unavailable" in failed
    # The customer's ack link is their credential: shown hidden, not linked (test_mail_page).
    assert f"{config.http.public_url}/ack/[token]" in html and 'class="mail-link"' not in html
    # A URL the agent put in the fault detail is shown, not linked.
    assert "https://elsewhere.example/x" in html and 'href="https://elsewhere' not in html
