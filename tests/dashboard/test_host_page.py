"""The host page: status, remote checks with their latest verdicts, results, maintenance, faults."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, update

from collector.domain.maintenance import MaintenanceWindow
from collector.probes.base import ProbeResult, Verdict
from collector.store import archive, faults, probe_results, schema
from collector.store import maintenance as maintenance_store
from collector.store.database import Database
from tests.support.dashboard import START, Seeded

Client = TestClient[web.Request, web.Application]


def _row(html: str, attribute: str, value: object) -> str:
    match = re.search(rf'<tr {attribute}="{value}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row with {attribute}={value}"
    return match.group(0)


def _checks_and_results(conn: Connection) -> None:
    ssh = probe_results.add_check(conn, "pbx1", "ssh", "pbx1.acme.example:22", START)
    probe_results.add_check(conn, "pbx1", "sip", "pbx1.acme.example:5060", START, name="udp")
    for minutes, verdict, latency, detail in (
        (5, Verdict.OK, 14.2, "SSH-2.0-OpenSSH_9.2"),
        (1, Verdict.CRITICAL, None, "no banner <within> 10 s"),
    ):
        result = ProbeResult("ssh", ssh.target, verdict, latency, detail)
        probe_results.record_result(conn, ssh, result, START - timedelta(minutes=minutes))


def _history(conn: Connection) -> int:
    """A resolved fault from yesterday, and the whole customer in maintenance now."""
    fault_id = faults.open_fault(
        conn, host_id="pbx1", check_key="sip", severity="major", title="SIP trunk down",
        detail="", at=START - timedelta(days=1),
    )  # fmt: skip
    resolved_at = START - timedelta(hours=20)
    conn.execute(
        update(schema.faults).where(schema.faults.c.id == fault_id).values(resolved_at=resolved_at)
    )
    faults.record_event(conn, fault_id, resolved_at, "resolved", "trunk back")
    window = MaintenanceWindow(
        "new", "once", START - timedelta(minutes=10), START + timedelta(hours=2),
        customer_id="acme", reason="PBX upgrade",
    )  # fmt: skip
    maintenance_store.add_window(conn, window, "acme", "olga", START)
    return fault_id


async def test_it_shows_the_hosts_checks_results_maintenance_and_faults(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(_checks_and_results)
    old_fault = await db.write(_history)
    response = await operator_client.get("/hosts/pbx1")
    assert response.status == 200
    html = await response.text()
    assert 'id="host" data-host-id="pbx1" data-status="critical"' in html
    assert "Acme &lt;Widgets&gt; &amp; Co" in html and "acme-pbx" in html

    ssh = _row(html, "data-check-id", 1)
    assert 'data-verdict="critical"' in ssh and "no banner &lt;within&gt; 10 s" in ssh
    assert "not run yet" in _row(html, "data-check-id", 2)
    results = re.findall(r'<tr data-result-id="\d+" data-verdict="(\w+)"', html)
    assert results == ["critical", "ok"]  # newest first
    assert "14 ms" in _row(html, "data-result-id", 1)

    assert 'data-state="in_force"' in html and "PBX upgrade" in html
    assert "every host of the customer" in html

    current = _row(html, "data-fault-id", seeded.fault_id)
    assert 'data-state="open"' in current and 'data-event="opened"' in current
    resolved = _row(html, "data-fault-id", old_fault)
    assert 'data-state="resolved"' in resolved
    assert "trunk back" in resolved and "2 events" in resolved
    assert "1 open fault<" in html
    assert html.index(f'data-fault-id="{seeded.fault_id}"') < html.index(
        f'data-fault-id="{old_fault}"'
    )
    assert "<script>" not in html


async def test_it_shows_a_quiet_host_with_empty_sections(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get("/hosts/web1")).text()
    assert "No remote checks for this host." in html and "No results yet." in html
    assert "No faults recorded for this host." in html
    assert 'id="maintenance">' in html and "none" in html


async def test_it_answers_404_for_an_unknown_host(operator_client: Client, seeded: Seeded) -> None:
    response = await operator_client.get("/hosts/nothing")
    assert response.status == 404
    assert "There is no host with that id." in await response.text()


async def test_it_sends_visitors_who_are_not_logged_in_to_the_login_form(client: Client) -> None:
    response = await client.get("/hosts/pbx1", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/hosts/pbx1"


async def test_it_links_the_host_page_from_the_overview_and_the_fault_page(
    operator_client: Client, seeded: Seeded
) -> None:
    overview = await (await operator_client.get("/")).text()
    row = _row(overview, "data-host-id", "pbx1")
    assert row.count('href="/hosts/pbx1"') == 2  # the name and the open-fault count
    fault_page = await (await operator_client.get(f"/faults/{seeded.fault_id}")).text()
    assert '<a href="/hosts/pbx1" id="host-link">' in fault_page


def _follow_the_agent(conn: Connection) -> None:
    conn.execute(
        update(schema.hosts)
        .where(schema.hosts.c.id == "pbx1")
        .values(interval_s=None, agent_interval_s=200.0)
    )


async def test_it_says_which_reporting_interval_the_heartbeat_expects(
    operator_client: Client, seeded: Seeded, db: Database
) -> None:
    html = " ".join((await (await operator_client.get("/hosts/pbx1")).text()).split())
    assert 'data-source="host">expected every 60 s, set on this host</span>' in html
    await db.write(_follow_the_agent)
    html = " ".join((await (await operator_client.get("/hosts/pbx1")).text()).split())
    assert 'data-source="agent">expected every 200 s, as its agent reports</span>' in html


async def test_it_keeps_an_archived_hosts_page_readable_and_off_the_overview(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(archive.archive_hosts, ["pbx1"], START, "host archived by test")
    page = await operator_client.get("/hosts/pbx1")
    assert page.status == 200
    html = await page.text()
    assert 'id="archived"' in html and "no longer watched" in html
    fault = await (await operator_client.get(f"/faults/{seeded.fault_id}")).text()
    assert "host archived by test" in fault  # its fault resolved, its history readable
    overview = await (await operator_client.get("/")).text()
    assert 'data-host-id="pbx1"' not in overview
