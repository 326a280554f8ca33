"""Operator login: wrong passwords refused, cookie flags, expiry, tampering, logout."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from collector.app import create_app
from collector.config.settings import CollectorConfig
from dashboard.sessions import COOKIE, SESSION_TTL, safe_next
from tests.support.clock import Clock
from tests.support.dashboard import OPERATOR, PASSWORD, Seeded, csrf_token, log_in, make_config

Client = TestClient[web.Request, web.Application]


async def _is_logged_in(client: Client) -> bool:
    response = await client.get("/", allow_redirects=False)
    return response.status == 200


async def test_it_refuses_a_wrong_password(client: Client, seeded: Seeded) -> None:
    page = await client.get("/login")
    form = {"username": OPERATOR, "password": "wrong", "csrf_token": csrf_token(await page.text())}
    response = await client.post("/login", data=form, allow_redirects=False)
    assert response.status == 401
    assert "Wrong username or password." in await response.text()
    assert not await _is_logged_in(client)


async def test_it_refuses_an_unknown_operator_with_the_same_words(
    client: Client, seeded: Seeded
) -> None:
    assert await log_in(client, "nobody", PASSWORD) == 401
    assert not await _is_logged_in(client)


async def test_it_logs_in_and_shows_the_overview(client: Client, seeded: Seeded) -> None:
    assert await log_in(client) == 303
    response = await client.get("/")
    assert response.status == 200
    assert 'id="operator">olga<' in await response.text()


async def test_it_sends_visitors_to_the_login_form_and_back(client: Client, seeded: Seeded) -> None:
    response = await client.get("/incidents?all=1", allow_redirects=False)
    assert response.status == 303
    location = URL(response.headers["Location"])
    assert (location.path, location.query["next"]) == ("/login", "/incidents?all=1")
    page = await client.get(response.headers["Location"])
    html = await page.text()
    assert 'name="next" value="/incidents?all=1"' in html
    form = {
        "username": OPERATOR,
        "password": PASSWORD,
        "csrf_token": csrf_token(html),
        "next": "/incidents?all=1",
    }
    response = await client.post("/login", data=form, allow_redirects=False)
    assert response.headers["Location"] == "/incidents?all=1"


def test_it_follows_only_same_site_paths_after_login() -> None:
    assert safe_next("/faults/3") == "/faults/3"
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert safe_next(target) == "/"


async def test_it_marks_the_session_cookie_httponly_lax_and_secure(
    config: CollectorConfig, tmp_path: Path, clock: Clock
) -> None:
    # The test's copy of the seeded database, served with Secure cookies on.
    config = make_config(tmp_path, secure_cookies=True)
    app = create_app(config, clock=clock, run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/login")
        anonymous = SimpleCookie(page.headers["Set-Cookie"])[COOKIE]
        form = {
            "username": OPERATOR,
            "password": PASSWORD,
            "csrf_token": csrf_token(await page.text()),
        }
        # The test client will not send a Secure cookie over plain HTTP, so send it by hand.
        headers = {"Cookie": f"{COOKIE}={anonymous.value}"}
        response = await client.post("/login", data=form, headers=headers, allow_redirects=False)
        assert response.status == 303
        for cookie in (anonymous, SimpleCookie(response.headers["Set-Cookie"])[COOKIE]):
            assert cookie["httponly"] is True
            assert cookie["secure"] is True
            assert cookie["samesite"] == "Lax"
            assert cookie["path"] == "/"
            assert int(cookie["max-age"]) == int(SESSION_TTL.total_seconds())


async def test_it_leaves_secure_off_when_configured_for_plain_http(
    client: Client, seeded: Seeded
) -> None:
    page = await client.get("/login")
    cookie = SimpleCookie(page.headers["Set-Cookie"])[COOKIE]
    assert cookie["httponly"] is True
    assert not cookie["secure"]


async def test_it_ends_the_session_when_it_expires(operator_client: Client, clock: Clock) -> None:
    client = operator_client
    clock.advance(SESSION_TTL - timedelta(seconds=1))
    assert await _is_logged_in(client)
    clock.advance(timedelta(seconds=2))
    assert not await _is_logged_in(client)


async def test_it_refuses_a_tampered_session_cookie(operator_client: Client) -> None:
    client = operator_client
    assert await _is_logged_in(client)
    value = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    payload, mac = value.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: forged}, client.make_url("/"))
    assert not await _is_logged_in(client)


async def test_it_logs_out(operator_client: Client) -> None:
    client = operator_client
    page = await client.get("/")
    form = {"csrf_token": csrf_token(await page.text())}
    response = await client.post("/logout", data=form, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    assert SimpleCookie(response.headers["Set-Cookie"])[COOKIE].value == ""
    assert not await _is_logged_in(client)
