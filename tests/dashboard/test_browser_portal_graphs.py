"""In Chromium: a customer's host in the portal draws the operators' graphs from data the
portal fetches for their own host, and the browser cannot fetch another customer's; the
portal shows the days announced on the customer's calendar; the operator's customer page
shows the tier's support numbers and the same days. Screenshots at 1440 and 390 px are saved
under test-artifacts/portal/ (or $FAULTDESK_SCREENSHOTS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Connection

from collector.store import series as series_store
from collector.store.series import Sample
from tests.support.browser import TIMEOUT_MS, chromium, screenshot_folder
from tests.support.dashboard import START, LiveCollector, browser_cookie, browser_session_cookie
from tests.support.figures import METRICS, NOW_S, pbx_history
from tests.support.portal import add_acme_user, add_globex, announce_christmas

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import Page, Response

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WIDTHS = ((1440, 900), (390, 844))
GLOBEX_CPU = "/portal/hosts/gx1/series.json?range=24h&metric=cpu_percent"
OWN_CPU = "/portal/hosts/pbx1/series.json?range=24h&metric=cpu_percent"


def two_customers(conn: Connection) -> int:
    """Acme with its PBX's history and Christmas announced; Globex with figures of its own
    (something to leak). Returns Acme's customer user."""
    pbx_history(conn)
    add_globex(conn, START)
    series_store.record(conn, [Sample("gx1", "cpu_percent", NOW_S - 60 * n, 9.0) for n in range(5)])
    announce_christmas(conn)
    return add_acme_user(conn, START)


def _recorder(seen: list[tuple[str, int]]) -> Callable[[Response], None]:
    """Keeps each answer the page receives: its URL and status."""
    return lambda response: seen.append((response.url, response.status))


async def _fetch_status(page: Page, path: str) -> int:
    return int(await page.evaluate("p => fetch(p).then(r => r.status)", path))


async def _fits(page: Page, width: int) -> bool:
    return int(await page.evaluate("document.documentElement.scrollWidth")) <= width


async def test_a_customer_sees_graphs_of_their_host_and_cannot_fetch_anothers(
    live: LiveCollector,
) -> None:
    user_id = await live.db.write(two_customers)
    cookie = await browser_cookie(live, "customer", user_id)
    folder = screenshot_folder()
    async with chromium() as browser:
        for width, height in WIDTHS:
            context = await browser.new_context(viewport={"width": width, "height": height})
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            fetched: list[tuple[str, int]] = []
            page.on("response", _recorder(fetched))
            await page.goto(f"{live.base_url}/portal/")
            async with page.expect_navigation():
                await page.click('a[href="/portal/hosts/pbx1"]')
            graphs = page.locator("figure.graph")
            count = await graphs.count()
            assert count == len(METRICS) + 1  # and the ssh check's latency
            await page.locator('figure.graph[data-state="drawn"]').nth(count - 1).wait_for()
            cpu = page.locator('figure.graph[data-metric="cpu_percent"]')
            assert await cpu.get_attribute("data-points") == "120"
            assert await cpu.locator("canvas").count() == 1
            series = [(url, status) for url, status in fetched if "/series.json" in url]
            assert len(series) == count and all(status == 200 for _, status in series)
            assert all("/portal/hosts/pbx1/series.json" in url for url, _ in series)
            assert await _fits(page, width)
            await page.screenshot(path=str(folder / f"host-graphs-{width}.png"), full_page=True)

            assert await _fetch_status(page, OWN_CPU) == 200
            assert await _fetch_status(page, GLOBEX_CPU) == 404
            assert await _fetch_status(page, "/hosts/gx1/series.json?metric=cpu_percent") == 404
            response = await page.goto(f"{live.base_url}/portal/hosts/gx1")
            assert response is not None and response.status == 404
            assert "globex" not in (await page.content()).lower()

            await page.goto(f"{live.base_url}/portal/contract")
            day = page.locator('#announced-days li[data-day="2024-12-23"][data-closed="true"]')
            assert "Christmas shutdown" in await day.inner_text()
            assert "01225 580025" in await page.locator("#phones").inner_text()
            assert await _fits(page, width)
            await page.screenshot(path=str(folder / f"contract-{width}.png"), full_page=True)
            await context.close()


async def test_an_operator_sees_the_customers_numbers_and_announced_days(
    live: LiveCollector,
) -> None:
    await live.db.write(two_customers)
    cookie = await browser_session_cookie(live)
    folder = screenshot_folder()
    async with chromium() as browser:
        for width, height in WIDTHS:
            context = await browser.new_context(viewport={"width": width, "height": height})
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.goto(f"{live.base_url}/customers/acme")
            assert "01225 580025" in await page.locator("#phones").inner_text()
            days = page.locator("#announced-days li")
            assert await days.evaluate_all("items => items.map(i => i.dataset.day)") == [
                "2024-12-23",
                "2024-12-24",
            ]
            assert "open 09:00-12:00 GMT" in await days.nth(1).inner_text()
            assert await _fits(page, width)
            await page.screenshot(path=str(folder / f"customer-{width}.png"), full_page=True)
            await context.close()
