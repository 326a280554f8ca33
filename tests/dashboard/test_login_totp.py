"""An operator with a second factor signs in with the password and the current code only."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient

from collector.security.totp import code_at, new_secret
from collector.store.audit import AuditFilter, entries
from collector.store.database import Database
from collector.store.operators import set_totp_secret
from tests.support.dashboard import OPERATOR, PASSWORD, START, Seeded, csrf_token

Client = TestClient[web.Request, web.Application]


async def _log_in(client: Client, code: str | None) -> tuple[int, str]:
    page = await client.get("/login")
    form = {"username": OPERATOR, "password": PASSWORD, "csrf_token": csrf_token(await page.text())}
    if code is not None:
        form["code"] = code
    response = await client.post("/login", data=form, allow_redirects=False)
    return response.status, await response.text()


async def test_it_asks_an_operator_with_a_second_factor_for_the_current_code(
    client: Client, db: Database, seeded: Seeded
) -> None:
    secret = new_secret()
    db.transaction(set_totp_secret, OPERATOR, secret)
    stale = code_at(secret, START - timedelta(minutes=5))
    for code in (None, "", "000000" if stale != "000000" else "111111", stale):
        status, html = await _log_in(client, code)
        assert status == 401, code
        assert "Wrong username or password." in html
    failures = db.transaction(entries, AuditFilter(action="login.failed"))
    assert len(failures) == 4
    status, _ = await _log_in(client, code_at(secret, START))
    assert status == 303


async def test_it_asks_no_code_of_an_operator_without_one(client: Client, seeded: Seeded) -> None:
    status, _ = await _log_in(client, None)
    assert status == 303


async def test_it_accepts_each_code_once_so_a_seen_code_cannot_sign_in_again(
    client: Client, db: Database, seeded: Seeded
) -> None:
    secret = new_secret()
    db.transaction(set_totp_secret, OPERATOR, secret)
    code = code_at(secret, START)
    assert (await _log_in(client, code))[0] == 303
    client.session.cookie_jar.clear()
    status, html = await _log_in(client, code)
    assert status == 401
    assert "Wrong username or password." in html
    earlier = code_at(secret, START - timedelta(seconds=30))  # inside the drift window, but older
    assert (await _log_in(client, earlier))[0] == 401
    later = code_at(secret, START + timedelta(seconds=30))
    assert (await _log_in(client, later))[0] == 303
