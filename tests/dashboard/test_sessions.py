"""Server-side sessions: logout and "sign out everywhere" end every copy of a cookie at once."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from collector.config.settings import CollectorConfig
from collector.store.database import Database
from dashboard.sessions import COOKIE
from tests.support.dashboard import START, Seeded, csrf_token, session_cookie

Client = TestClient[web.Request, web.Application]


async def _status_with(client: Client, cookie: str) -> int:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    response = await client.get("/faults", allow_redirects=False)
    return response.status


async def _post_from_page(client: Client, cookie: str, action: str) -> None:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    page = await client.get("/")
    form = {"csrf_token": csrf_token(await page.text())}
    response = await client.post(action, data=form, allow_redirects=False)
    assert response.status == 303


async def test_it_refuses_a_copied_cookie_once_its_session_logged_out(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    cookie = session_cookie(db, config, "operator", seeded.operator.id, START)
    assert await _status_with(client, cookie) == 200
    await _post_from_page(client, cookie, "/logout")
    assert await _status_with(client, cookie) == 303


async def test_it_ends_every_session_of_the_account_when_asked(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    laptop = session_cookie(db, config, "operator", seeded.operator.id, START)
    phone = session_cookie(db, config, "operator", seeded.operator.id, START)
    assert await _status_with(client, phone) == 200
    await _post_from_page(client, laptop, "/sessions/end-all")
    assert await _status_with(client, laptop) == 303
    assert await _status_with(client, phone) == 303
