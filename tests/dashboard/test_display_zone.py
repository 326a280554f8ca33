"""Times in the configured display zone, with UTC on hover; customers see their own zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config.settings import CollectorConfig, DashboardSettings
from collector.store import inventory
from collector.web.appkeys import DATABASE
from dashboard import sessions, timefmt
from tests.support.clock import Clock
from tests.support.dashboard import CONTACT, START, Seeded, ack_path, session_cookie

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
