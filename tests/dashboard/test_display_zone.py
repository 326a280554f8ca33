"""Times in the operator's own zone (else the vendor's), with UTC on hover; customers see
their own zone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config.settings import CollectorConfig, DashboardSettings
from collector.store import inventory, operators
from collector.web.appkeys import DATABASE
from dashboard import sessions, timefmt
from tests.support.clock import Clock
from tests.support.dashboard import (
    CONTACT,
    OPERATOR,
    START,
    Seeded,
    ack_path,
    csrf_token,
    session_cookie,
)
from tests.support.portal import add_acme_user, customer_cookie

Client = TestClient[web.Request, web.Application]


def test_it_shows_a_time_in_a_zone_with_its_abbreviation() -> None:
    moment = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    assert timefmt.local(moment, "Europe/London") == "2024-05-06 10:30 BST"
    assert timefmt.local(moment, "America/New_York") == "2024-05-06 05:30 EDT"
    assert timefmt.local(moment, "UTC") == "2024-05-06 09:30 UTC"


@pytest.fixture
async def london_client(
    config: CollectorConfig, template: tuple[object, Seeded]
) -> AsyncIterator[Client]:
    london = config.model_copy(update={"dashboard": DashboardSettings(timezone="Europe/London")})
    app = create_app(london, clock=Clock(START), run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        operator_id = template[1].operator.id
        cookie = session_cookie(app[DATABASE], config, "operator", operator_id, START)
        client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))
        yield client


async def test_it_shows_operators_the_configured_zone_with_utc_on_hover(
    london_client: Client, template: tuple[object, Seeded]
) -> None:
    html = await (await london_client.get("/faults")).text()
    # The seeded fault opened at 09:30 UTC: 10:30 in London's summer time.
    utc, london = "2024-05-06 09:30 UTC", "2024-05-06 10:30 BST"
    assert f'<time datetime="2024-05-06T09:30:00+00:00" title="{utc}">{london}</time>' in html
    assert "Times are in Europe/London" in html and 'data-zone="Europe/London"' in html


async def test_it_shows_a_customer_their_own_zone(
    london_client: Client, template: tuple[object, Seeded]
) -> None:
    database = london_client.app[DATABASE]
    await database.write(
        inventory.add_contract, "acme", "standard", START - timedelta(days=1), None
    )
    path = await database.read(ack_path, CONTACT)
    html = await (await london_client.get(path)).text()
    assert "2024-05-06 05:30 EDT" in html  # the Standard tier's New York hours


async def test_it_shows_each_operator_their_own_zone_and_others_the_vendors(
    london_client: Client, template: tuple[object, Seeded]
) -> None:
    database = london_client.app[DATABASE]
    await database.write(operators.set_timezone, OPERATOR, "Asia/Tokyo")
    html = await (await london_client.get("/faults")).text()
    # 09:30 UTC is 18:30 in Tokyo, whatever the vendor's zone.
    tokyo = "2024-05-06 18:30 JST"
    assert f'title="2024-05-06 09:30 UTC">{tokyo}</time>' in html
    assert "Times are in Asia/Tokyo" in html

    await database.write(operators.set_timezone, OPERATOR, None)
    html = await (await london_client.get("/faults")).text()
    assert "2024-05-06 10:30 BST" in html and "Times are in Europe/London" in html


@pytest.mark.parametrize(
    "path",
    ["/", "/faults", "/incidents", "/oncall", "/hosts/pbx1", "/customers/acme", "/maintenance",
     "/mail", "/audit", "/calendar", "/users", "/settings", f"/incidents/{1}"],
)  # fmt: skip
async def test_it_gives_every_time_on_an_operator_page_its_utc_on_hover(
    london_client: Client, path: str
) -> None:
    html = await (await london_client.get(path)).text()
    times = re.findall(r"<time [^>]*>", html)
    assert times, "the page shows no time at all"
    assert all(re.search(r' title="\d{4}-\d\d-\d\d \d\d:\d\d UTC"', t) for t in times), times
    # Nothing shows in UTC outside its hover text: this operator reads London time.
    shown = re.sub(r' title="[^"]*"', "", html)
    assert not re.findall(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)? UTC", shown)


async def test_it_lets_an_operator_choose_their_zone_on_the_settings_page(
    london_client: Client,
) -> None:
    page = await (await london_client.get("/settings")).text()
    assert 'placeholder="Europe/London"' in page  # the vendor's, while they chose none
    token = csrf_token(page)
    saved = await london_client.post(
        "/settings", data={"csrf_token": token, "timezone": "America/New_York"},
        allow_redirects=False,
    )  # fmt: skip
    assert saved.status == 303
    page = await (await london_client.get("/settings?saved=1")).text()
    assert 'id="settings-saved"' in page and 'value="America/New_York"' in page
    assert '<strong id="current-zone">America/New_York</strong>' in page

    refused = await london_client.post(
        "/settings", data={"csrf_token": token, "timezone": "Mars/Olympus_Mons"}
    )
    assert refused.status == 400
    assert "unknown time zone &#39;Mars/Olympus_Mons&#39;" in await refused.text()
    long = await london_client.post("/settings", data={"csrf_token": token, "timezone": "x" * 500})
    assert long.status == 400 and "at most 64 characters" in await long.text()
    forged = await london_client.post("/settings", data={"timezone": "UTC"})
    assert forged.status == 403

    await london_client.post("/settings", data={"csrf_token": token, "timezone": ""})
    page = await (await london_client.get("/settings")).text()
    assert '<strong id="current-zone">Europe/London</strong>' in page  # back to the vendor's


async def test_it_shows_a_portal_user_their_customers_zone(
    london_client: Client, config: CollectorConfig
) -> None:
    app = london_client.app
    database = app[DATABASE]
    user_id = await database.write(add_acme_user, START)
    await database.write(
        inventory.set_customer_terms, "acme", access=None, timezone="America/Chicago", region=None
    )
    cookie = customer_cookie(database, config, user_id, START)
    london_client.session.cookie_jar.update_cookies(
        {sessions.COOKIE: cookie}, london_client.make_url("/")
    )
    html = await (await london_client.get("/portal/faults")).text()
    assert "Times are in America/Chicago" in html
    assert 'title="2024-05-06 09:30 UTC">2024-05-06 04:30 CDT</time>' in html
