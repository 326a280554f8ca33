"""The customer's acknowledgement link: GET only asks, POST acknowledges, bad links refused."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select, update

from collector.config.settings import CollectorConfig
from collector.notify import ack_links
from collector.store import faults, schema
from collector.store.database import Database
from collector.store.schema import outbox
from tests.support.clock import Clock
from tests.support.dashboard import CONTACT, Seeded, ack_path, csrf_token, fault_row, snapshot

Client = TestClient[web.Request, web.Application]


async def _confirm(client: Client, path: str, comment: str = "") -> ClientResponse:
    page = await client.get(path)
    form = {"csrf_token": csrf_token(await page.text()), "comment": comment}
    return await client.post(path, data=form)


def _resolve(conn: Connection, fault_id: int, at: datetime) -> None:
    """Clear the fault the way the engine leaves it: a resolution time on the row."""
    conn.execute(update(schema.faults).where(schema.faults.c.id == fault_id).values(resolved_at=at))


def _mail_to(conn: Connection, recipient: str, kind: str) -> list[str]:
    query = select(outbox.c.body).where(outbox.c.recipient == recipient, outbox.c.kind == kind)
    return list(conn.scalars(query))


async def test_it_shows_the_fault_and_asks_without_acknowledging(
    client: Client, db: Database, seeded: Seeded
) -> None:
    path = await db.read(ack_path)
    before = await db.read(snapshot)
    for _ in range(2):  # a mail scanner, then the person
        response = await client.get(path)
        assert response.status == 200
        html = await response.text()
        assert 'id="confirm"' in html and 'id="comment"' in html
        for fact in ("Acme &lt;Widgets&gt; &amp; Co", "acme-pbx", "Disk /var 97% full", "critical"):
            assert fact in html
        assert "2024-05-06 09:30 UTC" in html
        assert "not acknowledged" in html
        assert f'<dd id="reference">INC-2024-{seeded.incident_id:04d}</dd>' in html
    assert (await client.head(path)).status == 200
    assert await db.read(snapshot) == before


async def test_it_keeps_the_link_out_of_caches_and_referrers(
    client: Client, db: Database, seeded: Seeded
) -> None:
    response = await client.get(await db.read(ack_path))
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_it_acknowledges_on_post_and_tells_the_vendor(
    client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    path = await db.read(ack_path)
    response = await _confirm(client, path, comment="  Rebooting the <PBX> now  ")
    assert response.status == 200
    html = await response.text()
    assert 'id="thanks"' in html and CONTACT in html
    assert "Rebooting the &lt;PBX&gt; now" in html
    row = await db.read(fault_row, seeded.fault_id)
    assert row.acknowledged_by == CONTACT
    assert row.acknowledged_at == clock()
    assert row.ack_comment == "Rebooting the <PBX> now"
    assert row.ack_address == "127.0.0.1"
    [mail] = await db.read(_mail_to, "noc@vendor.example", "fault_acknowledged")
    assert CONTACT in mail and "Rebooting the <PBX> now" in mail
    kinds = [event.kind for event in await db.read(faults.events, seeded.fault_id)]
    assert kinds == ["opened", "acknowledged"]


async def test_it_says_who_acknowledged_first_on_a_second_post(
    client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    path = await db.read(ack_path)
    page = await client.get(path)
    form = {"csrf_token": csrf_token(await page.text()), "comment": "first"}
    await client.post(path, data=form)
    acknowledged = await db.read(snapshot)
    clock.advance(timedelta(minutes=5))
    response = await client.post(path, data={**form, "comment": "second"})
    assert response.status == 200
    html = await response.text()
    assert 'id="already"' in html
    assert f"acknowledged by <strong>{CONTACT}</strong>" in html
    assert "2024-05-06 10:00 UTC" in html
    assert await db.read(snapshot) == acknowledged
    # A later GET says so too, and offers no form.
    html = await (await client.get(path)).text()
    assert 'id="already"' in html and 'id="confirm"' not in html


async def test_it_refuses_an_expired_link(
    client: Client, db: Database, seeded: Seeded, clock: Clock, config: CollectorConfig
) -> None:
    path = await db.read(ack_path)
    field = csrf_token(await (await client.get(path)).text())
    # The link was mailed when the fault opened, 30 minutes before the test's "now".
    clock.advance(timedelta(seconds=config.mail.ack_link_ttl_s))
    before = await db.read(snapshot)
    for response in (await client.get(path), await client.post(path, data={"csrf_token": field})):
        assert response.status == 410
        html = await response.text()
        assert "expired" in html and 'id="confirm"' not in html
    assert await db.read(snapshot) == before


async def test_it_refuses_a_tampered_link(
    client: Client, db: Database, seeded: Seeded, config: CollectorConfig, clock: Clock
) -> None:
    path = await db.read(ack_path)
    payload, mac = path.removeprefix("/ack/").split(".")
    # The same claim for another fault, with the original signature.
    other = ack_links.make_token(config.secret_key, 999, CONTACT, clock() + timedelta(days=1))
    # Shaped like a link but not genuine: 403; not even shaped like one: 400.
    forged = {other.split(".")[0] + "." + mac: 403, payload + "." + mac[::-1]: 403}
    forged |= {"garbage": 400, "a.b": 400, payload + "." + mac + "x": 400}
    before = await db.read(snapshot)
    for token, status in forged.items():
        for response in (await client.get(f"/ack/{token}"), await client.post(f"/ack/{token}")):
            assert response.status == status, token
            assert "not valid" in await response.text()
    assert await db.read(snapshot) == before


async def test_it_answers_404_for_a_fault_that_does_not_exist(
    client: Client, db: Database, seeded: Seeded, config: CollectorConfig, clock: Clock
) -> None:
    token = ack_links.make_token(config.secret_key, 999, CONTACT, clock() + timedelta(days=1))
    response = await client.get(f"/ack/{token}")
    assert response.status == 404
    assert "no longer exists" in await response.text()


async def test_it_does_not_acknowledge_a_fault_that_has_cleared(
    client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    path = await db.read(ack_path)
    field = csrf_token(await (await client.get(path)).text())
    await db.write(_resolve, seeded.fault_id, clock())
    html = await (await client.get(path)).text()
    assert 'id="cleared"' in html and 'id="confirm"' not in html
    before = await db.read(snapshot)
    response = await client.post(path, data={"csrf_token": field})
    assert response.status == 409
    assert await db.read(snapshot) == before


async def test_it_refuses_an_overlong_comment(client: Client, db: Database, seeded: Seeded) -> None:
    path = await db.read(ack_path)
    before = await db.read(snapshot)
    response = await _confirm(client, path, comment="x" * 2001)
    assert response.status == 400
    assert "longer than 2000" in await response.text()
    assert await db.read(snapshot) == before
