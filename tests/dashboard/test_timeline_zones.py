"""An incident's timeline names its times in the reader's zone, though its words were stored
at the event with the time in UTC: operators read their chosen zone, customers their own."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.store import incidents as incident_store
from collector.store import inventory, operators
from collector.store.database import Database
from dashboard.sessions import COOKIE
from tests.support.dashboard import OPERATOR, START, Seeded
from tests.support.portal import add_acme_user, customer_cookie

Client = TestClient[web.Request, web.Application]

# The seeded incident's first response was due at START + 3 h 20 min: 13:20 UTC, 09:20 EDT.
DUE_UTC, DUE_NEW_YORK = "2024-05-06 13:20 UTC", "2024-05-06 09:20 EDT"


def _resolve_late(conn: Connection, seeded: Seeded) -> None:
    incident_store.resolve_for_fault(conn, seeded.fault_id, START + timedelta(hours=4))


def _utc_shown(html: str) -> list[str]:
    """The times the page shows in UTC, hover texts (``title``) left out."""
    return re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", re.sub(r' title="[^"]*"', "", html))


async def test_it_shows_a_stored_utc_time_in_the_operators_zone(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await db.write(_resolve_late, seeded)
    await db.write(operators.set_timezone, OPERATOR, "America/New_York")
    html = await (await operator_client.get(f"/incidents/{seeded.incident_id}")).text()
    assert (
        "first-response target breached (due "
        f'<time datetime="2024-05-06T13:20:00+00:00" title="{DUE_UTC}">{DUE_NEW_YORK}</time>'
        ", 40 min late)"
    ) in html
    assert _utc_shown(html) == []


async def test_it_keeps_the_rest_of_the_stored_words_escaped(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    def note(conn: Connection) -> None:
        words = f"<b>moved</b> from {DUE_UTC} to 2024-13-45 99:99 UTC"
        incident_store.record_event(conn, seeded.incident_id, START, "note", OPERATOR, words)

    await db.write(note)
    await db.write(operators.set_timezone, OPERATOR, "America/New_York")
    html = await (await operator_client.get(f"/incidents/{seeded.incident_id}")).text()
    assert "&lt;b&gt;moved&lt;/b&gt; from <time " in html
    assert f">{DUE_NEW_YORK}</time> to 2024-13-45 99:99 UTC" in html  # no real time: as stored


async def test_it_shows_a_customer_their_ticket_timeline_in_their_zone(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    await db.write(_resolve_late, seeded)
    await db.write(
        inventory.set_customer_terms, "acme", access=None, timezone="America/New_York", region=None
    )
    user_id = await db.write(add_acme_user, START)
    cookie = customer_cookie(db, config, user_id, START)
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    html = await (await client.get(f"/portal/tickets/{seeded.incident_id}")).text()
    timeline = html[html.index('id="timeline"') :]
    assert 'data-kind="resolved"' in timeline
    assert _utc_shown(timeline) == []
