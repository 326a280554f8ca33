"""Sign-in throttling: blocked after ten failures, with a clear message, a record and a mail;
a full hashing pool answers 429 at once."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from collector.app import create_app
from collector.config.settings import CollectorConfig
from collector.operations.signin import ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW
from collector.store import login_failures, schema
from collector.store.audit import AuditFilter, entries
from collector.store.database import Database
from collector.web.appkeys import DATABASE
from tests.support.clock import Clock
from tests.support.dashboard import OPERATOR, PASSWORD, START, Seeded, csrf_token, log_in

Client = TestClient[web.Request, web.Application]


def _fail(db: Database, times: int, *, account: str, address: str) -> None:
    for _ in range(times):
        db.transaction(login_failures.record_failure, account, address, START)


async def _login_text(client: Client, password: str) -> tuple[int, str]:
    page = await client.get("/login")
    form = {"username": OPERATOR, "password": password, "csrf_token": csrf_token(await page.text())}
    response = await client.post("/login", data=form, allow_redirects=False)
    return response.status, await response.text()


async def test_it_blocks_an_account_after_ten_failures_and_says_until_when(
    client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    _fail(db, ACCOUNT_LIMIT - 1, account=OPERATOR, address="192.0.2.9")
    status, html = await _login_text(client, "wrong")
    assert status == 401
    assert "Too many failed sign-ins" in html
    status, html = await _login_text(client, PASSWORD)
    assert status == 429
    assert "blocked for this account or address until 10:15 UTC" in html
    clock.advance(WINDOW + timedelta(seconds=1))
    assert await log_in(client) == 303


async def test_it_records_and_mails_the_block(client: Client, db: Database, seeded: Seeded) -> None:
    _fail(db, ACCOUNT_LIMIT - 1, account=OPERATOR, address="192.0.2.9")
    await _login_text(client, "wrong")
    actions = [e.action for e in db.transaction(entries, AuditFilter(actor=OPERATOR))]
    assert actions == ["login.locked", "login.failed"]
    query = select(schema.outbox.c.recipient, schema.outbox.c.subject).where(
        schema.outbox.c.kind == "account_lockout"
    )
    [(recipient, subject)] = db.transaction(lambda conn: conn.execute(query).all())
    assert recipient == "noc@vendor.example"
    assert subject == f"Sign-in to {OPERATOR} blocked after {ACCOUNT_LIMIT} failed attempts"


async def test_it_blocks_an_address_that_tries_many_names(
    client: Client, db: Database, seeded: Seeded
) -> None:
    _fail(db, ADDRESS_LIMIT, account="someone-else", address="127.0.0.1")
    status, html = await _login_text(client, PASSWORD)
    assert status == 429
    assert "Too many failed sign-ins" in html


async def test_it_clears_an_accounts_count_on_a_good_sign_in(
    client: Client, db: Database, seeded: Seeded
) -> None:
    _fail(db, ACCOUNT_LIMIT - 1, account=OPERATOR, address="192.0.2.9")
    assert await log_in(client) == 303
    assert db.transaction(login_failures.failures_since, START - WINDOW, account=OPERATOR) == 0


async def test_it_answers_429_at_once_when_the_hashing_pool_is_full(
    config: CollectorConfig, clock: Clock, seeded: Seeded
) -> None:
    full = config.model_copy(
        update={"http": config.http.model_copy(update={"password_checks_at_once": 0})}
    )
    async with TestClient(TestServer(create_app(full, clock=clock, run_schedules=False))) as client:
        status, html = await _login_text(client, PASSWORD)
    assert status == 429
    assert "too many sign-ins at once; try again in a moment" in html


async def test_it_throttles_the_client_behind_a_trusted_proxy_not_the_proxy(
    config: CollectorConfig, clock: Clock, seeded: Seeded
) -> None:
    http = config.http.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    app = create_app(config.model_copy(update={"http": http}), clock=clock, run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        db = app[DATABASE]
        for _ in range(ADDRESS_LIMIT):
            db.transaction(login_failures.record_failure, "someone", "203.0.113.7", START)
        for address, expected in (("203.0.113.7", 429), ("203.0.113.8", 303)):
            page = await client.get("/login", headers={"X-Forwarded-For": address})
            form = {"username": OPERATOR, "password": PASSWORD}
            form["csrf_token"] = csrf_token(await page.text())
            response = await client.post(
                "/login", data=form, headers={"X-Forwarded-For": address}, allow_redirects=False
            )
            assert response.status == expected, address
