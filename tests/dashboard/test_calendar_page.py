"""The announced-days page: a day announced from the form, listed, withdrawn with a button."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from collector.store import announcements as store
from collector.store.database import Database
from tests.support.dashboard import Seeded, csrf_token

Client = TestClient[web.Request, web.Application]


def _row(html: str, announcement_id: int) -> str:
    match = re.search(rf'<tr data-announcement-id="{announcement_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for announcement {announcement_id}"
    return match.group(0)


async def test_it_announces_lists_and_withdraws_a_day(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    token = csrf_token(await (await operator_client.get("/calendar")).text())
    form = {
        "csrf_token": token,
        "calendar": "uk-office",
        "day": "2026-12-29",
        "hours": "",
        "reason": "Christmas <shutdown>",
    }
    response = await operator_client.post("/calendar", data=form)
    assert response.status == 200 and response.url.path == "/calendar"
    (made,) = await db.read(store.live)
    assert (made.calendar, made.day.isoformat(), made.closed) == ("uk-office", "2026-12-29", True)
    row = _row(await response.text(), made.id)
    assert 'data-state="in_force"' in row and "Christmas &lt;shutdown&gt;" in row

    token = csrf_token(await response.text())
    gone = await operator_client.post(f"/calendar/{made.id}/withdraw", data={"csrf_token": token})
    assert 'data-state="withdrawn"' in _row(await gone.text(), made.id)
    assert await db.read(store.live) == []


async def test_it_shows_the_form_again_with_the_reason_it_refused(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    token = csrf_token(await (await operator_client.get("/calendar")).text())
    form = {"csrf_token": token, "calendar": "uk-office", "day": "2026-12-29", "hours": "9-12"}
    response = await operator_client.post("/calendar", data={**form, "reason": "half day"})
    assert response.status == 400
    assert 'id="form-error"' in await response.text()
    assert await db.read(store.live) == []
