"""The overview in a real browser: problems first, filters, and live updates that keep the
operator's scroll position, filter and opened customers; at desk and phone width."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, update

from collector.store import faults, inventory
from collector.store.schema import hosts
from tests.support.browser import TIMEOUT_MS, chromium
from tests.support.dashboard import START, LiveCollector, Seeded, browser_session_cookie

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def fleet(conn: Connection) -> None:
    """Twenty quiet customers around the one with the problem."""
    for n in range(20):
        inventory.add_customer(conn, f"c{n:02}", f"Customer {n:02}", START)
        for h in range(3):
            inventory.add_host(conn, f"c{n:02}-h{h}", f"c{n:02}", START, interval_s=60)
    conn.execute(update(hosts).values(last_seen_at=START - timedelta(seconds=30)))
    conn.execute(
        update(hosts).where(hosts.c.id == "web1").values(last_seen_at=START - timedelta(minutes=4))
    )


async def test_it_shows_problems_first_and_keeps_the_operators_view_through_updates(
    live: LiveCollector, seeded: Seeded, tmp_path: Path
) -> None:
    await live.db.write(fleet)
    cookie = await browser_session_cookie(live)
    async with chromium() as browser:
        for width, height in ((1440, 900), (390, 600)):
            context = await browser.new_context(viewport={"width": width, "height": height})
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.goto(f"{live.base_url}/?kind=server")
            problems = page.locator("#problems [data-host-id]")
            assert await problems.first.get_attribute("data-host-id") == "web1"
            assert (
                "last report 4 min ago (expected every 60 s)" in await problems.first.inner_text()
            )
            await page.screenshot(path=str(tmp_path / f"overview-{width}.png"), full_page=True)

            await page.locator("#live[data-state='on']").wait_for()
            await page.click("#customer-c07 > summary")
            await page.evaluate("window.scrollTo(0, 300)")
            scrolled = await page.evaluate("window.scrollY")
            await page.evaluate("document.querySelector('main').dataset.before = 'yes'")
            await live.db.write(
                faults.acknowledge,
                seeded.fault_id,
                by="Pat",
                comment="",
                address="pat@acme.example",
                at=START,
            )
            await page.locator("main:not([data-before])").wait_for(state="attached")
            assert await page.locator("#customer-c07").get_attribute("open") is not None
            assert await page.locator("#customer-c08").get_attribute("open") is None
            assert page.url.endswith("/?kind=server")
            assert await page.evaluate("window.scrollY") == scrolled
            await context.close()
            # The second pass acknowledges the same fault afresh.
            await live.db.write(_reopen, seeded.fault_id)


def _reopen(conn: Connection, fault_id: int) -> None:
    from collector.store.schema import faults as table

    conn.execute(update(table).where(table.c.id == fault_id).values(acknowledged_at=None))
