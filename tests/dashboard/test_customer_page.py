"""The customer page: contract and terms in plain words, contacts, hosts, incidents,
maintenance; and customer and host names elsewhere link to their pages."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection

from collector.domain.maintenance import MaintenanceWindow
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store.database import Database
from tests.support.dashboard import START, Seeded
from tests.support.portal import announce_christmas

Client = TestClient[web.Request, web.Application]


def contract_and_window(conn: Connection) -> None:
    inventory.add_contract(
        conn, "acme", "cat1", START - timedelta(days=30), START + timedelta(days=335)
    )
    window = MaintenanceWindow(
        "new", "once", START + timedelta(hours=2), START + timedelta(hours=4),
        customer_id="acme", reason="PBX upgrade",
    )  # fmt: skip
    maintenance_store.add_window(conn, window, "acme", "olga", START)


async def test_it_shows_the_contract_in_plain_words_hosts_incidents_and_maintenance(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(contract_and_window)
    response = await operator_client.get("/customers/acme")
    assert response.status == 200
    html = await response.text()
    assert 'data-tier="cat1"' in html and "until 2025-04-06" in html
    assert "Mon-Fri 09:00-17:00, Sat-Sun closed (Europe/London)" in html
    assert "first response: 8 h working time" in html
    assert 'Pat &lt;<a href="mailto:pat@acme.example">pat@acme.example</a>&gt;' in html
    assert 'data-host-id="pbx1" data-status="critical"' in html
    assert f'data-incident-id="{seeded.incident_id}"' in html and 'href="/hosts/pbx1"' in html
    reference = f"INC-2024-{seeded.incident_id:04d}"
    assert f'<a href="/incidents/{seeded.incident_id}">{reference}</a>' in html
    assert "PBX upgrade" in html


async def test_it_shows_the_tiers_phone_numbers_and_the_days_announced_for_it(
    operator_client: Client, db: Database
) -> None:
    await db.write(announce_christmas)  # cat1 from today, on the uk-office calendar
    html = await (await operator_client.get("/customers/acme")).text()
    assert '<dd id="phones">' in html and "<div>01225 580025</div>" in html
    assert '<li data-day="2024-12-23" data-closed="true">' in html
    assert "Christmas shutdown" in html and "Christmas Eve, mornings only" in html
    assert "reduced hours, open 09:00-12:00 GMT" in html
    assert "Cat2 staff party" not in html  # another tier's calendar


async def test_it_answers_404_for_an_unknown_customer(operator_client: Client) -> None:
    assert (await operator_client.get("/customers/nope")).status == 404


async def test_it_links_customer_and_host_names_to_their_pages(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(contract_and_window)
    fault, incident = f"/faults/{seeded.fault_id}", f"/incidents/{seeded.incident_id}"
    pages = ("/", "/faults", fault, "/incidents", incident, "/hosts/pbx1", "/maintenance")
    for path in pages:
        html = await (await operator_client.get(path)).text()
        assert 'href="/customers/acme"' in html, path
    for path in ("/faults", f"/faults/{seeded.fault_id}", "/customers/acme"):
        html = await (await operator_client.get(path)).text()
        assert 'href="/hosts/pbx1"' in html, path
    html = await (await operator_client.get(f"/incidents/{seeded.incident_id}")).text()
    assert '<a href="/hosts/pbx1" id="host-link">acme-pbx</a>' in html
