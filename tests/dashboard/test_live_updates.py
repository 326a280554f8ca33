"""Operator pages stay current: /live streams a change when faults or incidents change, and a
real browser swaps in the new page, but never under an operator typing in a form."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection

from collector.store import faults
from collector.store.database import Database
from dashboard.live import change_marker
from tests.support.browser import TIMEOUT_MS, chromium
from tests.support.dashboard import (
    OPERATOR,
    PASSWORD,
    START,
    LiveCollector,
    Seeded,
)

Client = TestClient[web.Request, web.Application]
#: Longer than the watcher's poll (2 s) and a keep-alive, on a busy machine.
WAIT_S = 20.0


async def _next_event(stream: ClientResponse) -> tuple[str, str]:
    """The next ``event:``/``data:`` pair, skipping ``retry`` and keep-alive comments."""
    event = data = ""
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), WAIT_S)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and event:
            return event, data


def _acknowledge(conn: Connection, fault_id: int, at: datetime) -> None:
    assert faults.acknowledge(
        conn, fault_id, by="Pat", comment="on it", address="pat@acme.example", at=at
    )


async def test_it_refuses_the_stream_to_anyone_not_logged_in(client: Client) -> None:
    response = await client.get("/live")
    assert response.status == 401


async def test_it_streams_a_change_when_a_fault_changes_and_not_before(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    page = await (await operator_client.get("/faults")).text()
    marker = await db.read(change_marker)
    assert f'data-live-marker="{marker}"' in page

    async with operator_client.get("/live", params={"since": marker}) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await db.write(_acknowledge, seeded.fault_id, START)
        event, data = await _next_event(stream)
    assert event == "change" and data == await db.read(change_marker) and data != marker


async def test_it_tells_a_page_made_before_a_change_at_once(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    stale = await db.read(change_marker)
    await db.write(_acknowledge, seeded.fault_id, START)
    async with operator_client.get("/live", params={"since": stale}) as stream:
        assert await _next_event(stream) == ("change", await db.read(change_marker))


@pytest.mark.integration
@pytest.mark.e2e
async def test_a_browser_shows_the_change_without_a_reload_but_never_over_unsent_typing(
    live: LiveCollector, seeded: Seeded
) -> None:
    base_url, db = live.base_url, live.db
    async with chromium() as browser:
        page = await browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{base_url}/faults/{seeded.fault_id}")
        await page.fill("#username", OPERATOR)
        await page.fill("#password", PASSWORD)
        await page.click("#login")
        card = page.locator(f'section[data-fault-id="{seeded.fault_id}"]')
        await card.wait_for()
        assert await card.get_attribute("data-acknowledged") == "false"
        await page.locator('#live[data-state="on"]').wait_for()
        await page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded

        # The operator is typing an acknowledgement comment: the page must not change under them.
        comment = page.locator("#ack-comment")
        await comment.click()
        await comment.type("checking the disk")
        before = await page.evaluate("document.body.dataset.liveMarker")
        await db.write(_acknowledge, seeded.fault_id, START + timedelta(minutes=1))
        # The page has heard of the change (its marker moved) and holds the refresh it owes.
        await page.locator(f'body:not([data-live-marker="{before}"])').wait_for(state="attached")
        assert await card.get_attribute("data-acknowledged") == "false"
        assert await comment.input_value() == "checking the disk"

        # Leaving the field with the comment unsent still holds the refresh: it would lose it.
        await comment.blur()
        await page.wait_for_timeout(500)  # the focusout's refresh has run and found the form busy
        assert await comment.input_value() == "checking the disk"
        assert await card.get_attribute("data-acknowledged") == "false"

        await comment.fill("")  # gave up on it: nothing of theirs left to lose
        await comment.blur()
        await page.locator(
            f'section[data-fault-id="{seeded.fault_id}"][data-acknowledged="true"]'
        ).wait_for()
        assert await page.evaluate("window.loadedOnce") is True
        assert errors == []
        await page.close()
