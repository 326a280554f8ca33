"""Tenant isolation, proven on every route the application serves.

The router is walked, not listed by hand: a route whose handler carries no access rule fails
the first test. Then, signed in as a user of Acme (by session for pages, by Acme's API token
for /api/), every route is asked for Globex's objects by id, by a guessed id, and through
filters: operators' routes answer 404, customer routes answer 404 for Globex's ids and show
nothing of Globex, and Globex's rows are unchanged at the end.
"""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, func, select

from collector.config.settings import CollectorConfig
from collector.store import customer_users, schema
from collector.store.database import Database
from collector.web.access import Access
from dashboard.sessions import COOKIE
from tests.support.dashboard import START, csrf_token
from tests.support.isolation import RouteRule, fill, routes, unruled
from tests.support.portal import (
    GLOBEX_MARKERS,
    OtherCustomer,
    add_acme_user,
    customer_cookie,
)

Client = TestClient[web.Request, web.Application]
GUESSED = "987654"


@pytest.fixture
def acme_user(db: Database, globex: OtherCustomer) -> int:
    return db.transaction(add_acme_user, START)


@pytest.fixture
def acme_token(db: Database, acme_user: int) -> str:
    return db.transaction(customer_users.create_token, "pat@acme.example", "tests", START)


def _objects(globex: OtherCustomer, guessed: bool) -> dict[str, str]:
    def pick(real: object) -> str:
        return GUESSED if guessed else str(real)

    return {
        "faults": pick(globex.fault_id),
        "fault_id": pick(globex.fault_id),
        "incidents": pick(globex.incident_id),
        "incident_id": pick(globex.incident_id),
        "tickets": pick(globex.incident_id),
        "hosts": "no-such-host" if guessed else globex.host_id,
        "host_id": "no-such-host" if guessed else globex.host_id,
        "customers": "no-such-customer" if guessed else "globex",
        "maintenance": pick(globex.window_id),
        "window_id": pick(globex.window_id),
        # Announced days are the vendor's, for every customer: only operators may touch them.
        "announcements": pick(1),
        "announcement_id": pick(1),
        "user_id": pick(globex.user_id),
        "action": "respond",
        "token": "not-a-real-token",
    }


def _globex_rows(conn: Connection) -> tuple[object, ...]:
    """Everything an Acme user might try to change of Globex's."""
    faults = conn.execute(select(schema.faults).where(schema.faults.c.customer_id == "globex"))
    events = conn.execute(select(func.count()).select_from(schema.incident_events)).scalar()
    windows = conn.execute(select(schema.maintenance_windows))
    return ([tuple(r) for r in faults], events, [tuple(r) for r in windows])


async def _ask(
    client: Client, rule: RouteRule, path: str, cookie: str, token: str, query: str = ""
) -> tuple[int, str]:
    """The status and body; a redirect to the portal's home reads as 404 (nothing shown)."""
    url = path + query
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps({"text": "x", "title": "x", "host_id": "gx1", "comment": "x"})
        response = await client.request(rule.method, url, data=body, headers=headers)
        return response.status, await response.text()
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    if rule.method == "GET":
        response = await client.get(url, allow_redirects=False)
        if response.status == 303 and response.headers["Location"] == "/portal/":
            return 404, ""
        return response.status, await response.text()
    page = await client.get("/portal/tickets/new")
    form = {"csrf_token": csrf_token(await page.text()), "text": "x", "title": "x"}
    form.update({"host_id": "gx1", "comment": "x", "username": "hank@globex.example"})
    response = await client.post(url, data=form, allow_redirects=False)
    return response.status, await response.text()


def _shows_globex(text: str, asked: str) -> list[str]:
    """Globex's words in an answer, beyond the echo of what was asked (a 404 names the path)."""
    rest = text.replace(asked, "")
    for part in asked.replace("?", "&").split("&"):
        rest = rest.replace(part, "")
    return [marker for marker in GLOBEX_MARKERS if marker.lower() in rest.lower()]


def test_it_finds_an_access_rule_on_every_route(app: web.Application) -> None:
    assert unruled(app) == []


def test_it_notices_a_route_added_without_an_access_rule(app: web.Application) -> None:
    async def forgotten(request: web.Request) -> web.Response:
        return web.Response(text="everyone's data")

    bare = web.Application()
    bare.router.add_get("/api/v1/forgotten", forgotten)
    assert unruled(bare) == ["GET /api/v1/forgotten"]


@pytest.mark.parametrize("guessed", [False, True], ids=["globex-ids", "guessed-ids"])
async def test_it_shows_an_acme_user_nothing_of_globex_on_any_route(
    app: web.Application,
    client: Client,
    db: Database,
    config: CollectorConfig,
    globex: OtherCustomer,
    acme_user: int,
    acme_token: str,
    guessed: bool,
) -> None:
    before = db.transaction(_globex_rows)
    objects = _objects(globex, guessed)
    failures = []
    for rule in routes(app):
        assert rule.access is not None, f"{rule.method} {rule.template} has no access rule"
        path = fill(rule.template, objects)
        has_id = path != rule.template
        cookie = customer_cookie(db, config, acme_user, START)
        queries = ["", "?customer=globex&host=gx1&host_id=gx1&fault=" + objects["faults"]]
        for query in queries:
            status, text = await _ask(client, rule, path, cookie, acme_token, query)
            where = f"{rule.method} {path}{query} ({rule.access})"
            operators_only = rule.access in (Access.OPERATOR, Access.ADMIN)
            customers_object = rule.access is Access.CUSTOMER and has_id
            if (operators_only or customers_object) and status != 404:
                failures.append(f"{where}: {status}, expected 404")
            elif rule.access is Access.SIGNED and status < 400:
                failures.append(f"{where}: {status} with a forged token")
            shown = _shows_globex(text, path + query)
            if shown:
                failures.append(f"{where}: shows {shown}")
    assert failures == [], "\n".join(failures)
    assert db.transaction(_globex_rows) == before
