"""The host page of a Mitel: its alarm level, the categories in alarm, and its timeline."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection

from collector.store import inventory
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.snmp import AlarmStatus, SnmpAgent
from tests.support.dashboard import START, Seeded

Client = TestClient[web.Request, web.Application]


def _mitel(conn: Connection) -> None:
    inventory.add_host(conn, "mitel1", "acme", START, name="acme-mitel", kind="mitel")
    agent = SnmpAgent("mitel1", "192.0.2.10", "mitel-3300", "2c", community="s3cret")
    snmp_store.set_agent(conn, agent)
    status = AlarmStatus(
        "mitel1", "major", [{"name": "Trunks <T1>", "level": "major"}], "Mitel 3300 ICP",
        polled_at=START - timedelta(minutes=1), traps_total=3, last_trap_at=START,
    )  # fmt: skip
    snmp_store.save_status(conn, status, START)
    snmp_store.add_event(conn, "mitel1", START - timedelta(hours=1), "restart",
                         "PBX restart complete")  # fmt: skip
    snmp_store.add_event(conn, "mitel1", START, "alarm", "Mitel alarm level: major")


async def test_it_shows_the_alarm_level_categories_and_events(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(_mitel)
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
