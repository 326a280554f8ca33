"""A customer's host in the portal: its latest figures and the operators' graphs, drawn from
data the portal serves only for the customer's own hosts; a Mitel's alarm level and its
history; and the days announced closed on the customer's calendar."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection

from collector.store import series as series_store
from collector.store.database import Database
from collector.store.series import Sample
from tests.support.figures import NOW_S, add_mitel, pbx_history
from tests.support.portal import (
    announce_christmas,
)

Client = TestClient[web.Request, web.Application]
CPU = "/portal/hosts/pbx1/series.json?range=1h&metric=cpu_percent"


@pytest.fixture
def portal(portal: Client, db: Database) -> Client:
    """The conftest's portal, with Acme's PBX's history of figures."""
    db.transaction(pbx_history)
    return portal


async def test_it_links_each_host_on_the_status_page_to_its_page(portal: Client) -> None:
    html = await (await portal.get("/portal/")).text()
    assert '<a href="/portal/hosts/pbx1">acme-pbx</a>' in html


async def test_it_shows_the_hosts_latest_figures_and_its_graphs(portal: Client) -> None:
    response = await portal.get("/portal/hosts/pbx1?range=1h")
    html = await response.text()
    assert response.status == 200
    assert 'id="host" data-host-id="pbx1"' in html
    assert '<tr data-metric="cpu_percent">' in html
    assert f'data-series-url="{CPU.replace("&", "&amp;")}"' in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html
    assert '<tr data-trunk="pstn" data-state="Rejected">' in html
    assert "Disk /var 97% full" in html  # the seeded fault on this host


async def test_it_says_so_when_a_host_has_sent_no_figures(portal: Client) -> None:
    response = await portal.get("/portal/hosts/web1")
    html = await response.text()
    assert response.status == 200 and 'data-status="silent"' in html
    assert "No figures in the last 48 hours." in html and "figure class" not in html


async def test_it_serves_the_graphs_data_for_the_customers_own_host(portal: Client) -> None:
    response = await portal.get(CPU)
    assert response.status == 200
    graph = await response.json()
    assert graph["metric"] == "cpu_percent" and graph["to"] == NOW_S
    assert len(graph["points"]) == 61
    assert graph["periods"]["maintenance"] == [[NOW_S - 70 * 60, NOW_S - 50 * 60]]


def globex_cpu(conn: Connection) -> None:
    series_store.record(conn, [Sample("gx1", "cpu_percent", NOW_S - 60 * n, 9.0) for n in range(5)])


@pytest.mark.parametrize("host", ["gx1", "no-such-host"])
async def test_it_answers_404_for_a_host_not_the_customers(
    portal: Client, db: Database, host: str
) -> None:
    await db.write(globex_cpu)  # there is something to leak
    page = await portal.get(f"/portal/hosts/{host}")
    assert page.status == 404 and "globex" not in (await page.text()).lower()
    for query in ("?metric=cpu_percent", "", "?range=2y"):
        series = await portal.get(f"/portal/hosts/{host}/series.json{query}")
        assert series.status == 404, query
        assert "globex" not in (await series.text()).lower()


async def test_it_keeps_the_portals_graph_data_from_operators(
    operator_client: Client, db: Database
) -> None:
    db.transaction(pbx_history)
    assert (await operator_client.get(CPU, allow_redirects=False)).status == 404


async def test_it_shows_a_mitels_alarm_level_and_its_history(portal: Client, db: Database) -> None:
    await db.write(add_mitel)
    html = await (await portal.get("/portal/hosts/mitel1")).text()
    assert 'id="snmp" data-level="major"' in html and "<h2>Mitel alarm level</h2>" in html
    assert 'data-category="Trunks &lt;T1&gt;"' in html
    assert html.index('data-event-kind="alarm"') < html.index('data-event-kind="restart"')
    # How the vendor reaches the PBX stays the vendor's.
    assert "192.0.2.10" not in html and "s3cret" not in html


async def test_it_shows_the_days_announced_on_the_customers_calendar(
    portal: Client, db: Database
) -> None:
    await db.write(announce_christmas)
    for path in ("/portal/", "/portal/contract"):
        html = await (await portal.get(path)).text()
        assert (
            '<li data-day="2024-12-23" data-closed="true"><strong>Mon 23 Dec 2024</strong>' in html
        )
        assert "Christmas shutdown" in html
        assert "reduced hours, open 09:00-12:00 GMT" in html
        assert "(usually 09:00-17:00 GMT)" in html
        assert "Cat2 staff party" not in html, path
    html = await (await portal.get("/portal/contract")).text()
    assert "<li>01225 580025</li>" in html  # cat1's number, from the tier catalogue
