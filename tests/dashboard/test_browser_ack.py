"""A real browser follows a mailed ack link and confirms; an operator then sees it acknowledged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.notify import fanout
from collector.store import faults
from tests.support.browser import TIMEOUT_MS, chromium
from tests.support.dashboard import (
    CONTACT,
    OPERATOR,
    PASSWORD,
    START,
    LiveCollector,
    ack_path,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _fault_with_mail(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    fault_id = faults.open_fault(
        conn,
        host_id="web1",
        check_key="heartbeat",
        severity="major",
        title="Agent silent for 3 intervals",
        detail="",
        at=now - timedelta(minutes=5),
    )
    fault = faults.get_fault(conn, fault_id)
    assert fault is not None
    fanout.fault_opened(conn, fault, config, now - timedelta(minutes=5), covered=True)
    return fault_id


async def test_it_acknowledges_from_the_mailed_link_in_a_browser(live: LiveCollector) -> None:
    fault_id = await live.db.write(_fault_with_mail, live.config, START)
    link = live.base_url + await live.db.read(ack_path, CONTACT, fault_id)
    async with chromium() as browser:
        page = await browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        before = await live.db.read(snapshot)
        await page.goto(link)
        await page.locator("#confirm").wait_for()
        assert "Agent silent for 3 intervals" in await page.content()
        assert await live.db.read(snapshot) == before  # looking changes nothing

        await page.fill("#comment", "Restarting the agent now")
        await page.click("#confirm")
        await page.locator("#thanks").wait_for()
        assert CONTACT in await page.locator("#thanks + p").inner_text()

        await page.goto(f"{live.base_url}/faults")
        await page.fill("#username", OPERATOR)
        await page.fill("#password", PASSWORD)
        await page.click("#login")
        row = page.locator(f'[data-fault-id="{fault_id}"]')
        await row.wait_for()
        assert await row.get_attribute("data-acknowledged") == "true"
        assert CONTACT in await row.inner_text()
        await page.close()
