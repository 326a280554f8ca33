"""The host page of a Mitel: its alarm level, the categories in alarm, and its timeline."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from collector.store.database import Database
from tests.support.dashboard import Seeded
from tests.support.figures import add_mitel

Client = TestClient[web.Request, web.Application]


async def test_it_shows_the_alarm_level_categories_and_events(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(add_mitel)
    html = await (await operator_client.get("/hosts/mitel1")).text()

    assert 'id="snmp" data-level="major"' in html
    assert "<h2>Mitel alarm level</h2>" in html
    assert 'data-category="Trunks &lt;T1&gt;"' in html
    assert "Mitel 3300 ICP" in html and "192.0.2.10:161" in html
    assert "no agent: watched over SNMP" in html
    kinds = [k for k in ("alarm", "restart") if f'data-event-kind="{k}"' in html]
    assert kinds == ["alarm", "restart"]
    assert html.index('data-event-kind="alarm"') < html.index('data-event-kind="restart"')
    assert "s3cret" not in html


async def test_it_shows_no_snmp_section_for_an_agents_host(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get("/hosts/pbx1")).text()
    assert 'id="snmp"' not in html
