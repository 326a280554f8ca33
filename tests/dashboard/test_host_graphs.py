"""The host page's figures and graphs: latest values, a graph's data with its shaded periods,
a PBX's trunks and endpoints; and in a real browser, uPlot drawing them at desk and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from collector.store.database import Database
from tests.support.browser import TIMEOUT_MS, chromium
from tests.support.dashboard import LiveCollector, Seeded, browser_session_cookie
from tests.support.figures import METRICS, NOW_S, pbx_history

Client = TestClient[web.Request, web.Application]


async def test_it_shows_the_latest_figures_and_the_pbxs_trunks_and_endpoints(
    operator_client: Client, db: Database
) -> None:
    await db.write(pbx_history)
    html = await (await operator_client.get("/hosts/pbx1")).text()
    assert 'data-metric="cpu_percent"' in html
    assert 'data-series-url="/hosts/pbx1/series.json?range=24h&amp;metric=cpu_percent"' in html
    assert '<tr data-trunk="pstn" data-state="Rejected">' in html
    assert '<tr data-endpoint="202" data-state="Unavailable">' in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html


async def test_it_serves_a_graphs_points_with_its_fault_and_maintenance_periods(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(pbx_history)
    response = await operator_client.get(
        "/hosts/pbx1/series.json", params={"metric": "cpu_percent", "range": "1h"}
    )
    assert response.status == 200
    graph = await response.json()
    assert graph["step_s"] == 60 and graph["to"] == NOW_S and graph["from"] == NOW_S - 3600
    assert [p[0] for p in graph["points"]] == list(range(NOW_S - 3600, NOW_S + 1, 60))
    opened = NOW_S - 30 * 60  # the seeded fault, still open: shaded up to now
    assert graph["periods"]["faults"] == [[opened, NOW_S, "critical"]]
    assert graph["periods"]["maintenance"] == [[NOW_S - 70 * 60, NOW_S - 50 * 60]]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"metric": "cpu_percent", "range": "2y"}, 400), ({"metric": "nope"}, 404), ({}, 400)],
)
async def test_it_refuses_a_graph_it_cannot_draw(
    operator_client: Client, db: Database, params: dict[str, str], status: int
) -> None:
    await db.write(pbx_history)
    response = await operator_client.get("/hosts/pbx1/series.json", params=params)
    assert response.status == status


async def test_it_sends_a_visitor_without_a_session_to_log_in(client: Client) -> None:
    response = await client.get("/hosts/pbx1/series.json?metric=cpu_percent", allow_redirects=False)
    assert response.status == 303


@pytest.mark.integration
@pytest.mark.e2e
async def test_it_draws_every_graph_with_uplot_at_desk_and_phone_width(
    live: LiveCollector, tmp_path: Path
) -> None:
    await live.db.write(pbx_history)
    cookie = await browser_session_cookie(live)
    async with chromium() as browser:
        for width, height in ((1440, 900), (390, 844)):
            context = await browser.new_context(viewport={"width": width, "height": height})
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.add_init_script(
                "window.violations = [];"
                "document.addEventListener('securitypolicyviolation',"
                " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            await page.goto(f"{live.base_url}/hosts/pbx1?range=24h")
            graphs = page.locator("figure.graph")
            count = await graphs.count()
            assert count == len(METRICS) + 1  # and the ssh check's latency
            await page.locator('figure.graph[data-state="drawn"]').nth(count - 1).wait_for()
            cpu = page.locator('figure.graph[data-metric="cpu_percent"]')
            assert await cpu.get_attribute("data-points") == "120"
            assert await cpu.get_attribute("data-shaded") == "2"  # the fault and the window
            assert await cpu.locator("canvas").count() == 1
            box = await cpu.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width
            assert await page.evaluate("window.violations") == []
            # Nothing wider than the screen: wide tables scroll inside their own box.
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            await page.screenshot(path=str(tmp_path / f"host-{width}.png"), full_page=True)
            await context.close()
