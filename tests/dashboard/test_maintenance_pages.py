"""The maintenance page: windows listed by state, created from the form, ended with a button."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from collector.store import maintenance as maintenance_store
from collector.store.database import Database
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, csrf_token

Client = TestClient[web.Request, web.Application]


def _row(html: str, window_id: int) -> str:
    match = re.search(rf'<tr data-window-id="{window_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for window {window_id}"
    return match.group(0)


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table class="windows" id="{table_id}">.*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


async def _token(client: Client) -> str:
    return csrf_token(await (await client.get("/maintenance")).text())


async def _create(client: Client, **fields: str | list[str]) -> ClientResponse:
    form: list[tuple[str, str]] = [("csrf_token", await _token(client))]
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        form += [(name, v) for v in values]
    return await client.post("/maintenance", data=form)


async def test_it_creates_a_one_off_window_for_a_host_in_the_forms_time_zone(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    response = await _create(
        operator_client,
        scope="acme/pbx1",
        frequency="once",
        timezone="Europe/London",  # BST in May: UTC+1
        starts_at="2024-05-06T10:30",
        ends_at="2024-05-06T13:00",
        reason="swap the <PSU>",
        local_time="02:00",  # left over from another attempt: ignored for a one-off
    )
    assert response.status == 200 and response.url.path == "/maintenance"
    (stored,) = await db.read(maintenance_store.list_windows)
    assert (stored.host_id, stored.customer_id, stored.created_by) == ("pbx1", "acme", "olga")
    assert stored.window.starts_at == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    assert stored.window.local_time is None
    row = _row(_table(await response.text(), "current-windows"), stored.id)
    assert 'data-state="in_force"' in row and 'href="/hosts/pbx1"' in row
    starts = '<time datetime="2024-05-06T09:30:00+00:00" title="2024-05-06 09:30 UTC">'
    assert f"{starts}2024-05-06 09:30 UTC</time> until <time " in row  # the operator's zone
    assert "swap the &lt;PSU&gt;" in row and "End now" in row


async def test_it_creates_a_weekly_window_for_every_host_of_a_customer(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    response = await _create(
        operator_client,
        scope="acme",
        frequency="weekly",
        timezone="Europe/London",
        local_time="02:00",
        duration_min="90",
        weekdays=["SA", "SU"],
        starts_at="",
        ends_at="",
    )
    html = await response.text()
    (stored,) = await db.read(maintenance_store.list_windows)
    assert stored.host_id is None and stored.window.duration_s == 5400
    row = _row(_table(html, "current-windows"), stored.id)
    assert 'data-state="scheduled"' in row and "all hosts" in row
    assert "SA, SU at 02:00 Europe/London for 1 h 30 min" in row


async def test_it_shows_the_form_again_naming_what_is_wrong(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    cases = [
        ({"frequency": "weekly", "local_time": "02:00", "duration_min": "60"}, "weekdays"),
        ({"frequency": "daily", "local_time": "02:00", "duration_min": "soon"}, "duration_s"),
        ({"frequency": "once", "starts_at": "2024-05-06T12:00"}, "ends_at"),
        ({"frequency": "once", "timezone": "Moon/Base"}, "timezone"),
        ({"frequency": "fortnightly"}, "frequency"),
        ({"scope": "nobody", "starts_at": "2024-05-07T12:00", "ends_at": "2024-05-07T13:00"}, ""),
    ]
    for fields, field in cases:
        form = {"scope": "acme/web1", "frequency": "once", "reason": "kept", **fields}
        response = await _create(operator_client, **form)
        assert response.status == 400, fields
        html = await response.text()
        error = re.search(r'<p class="alert" id="form-error" data-field="(\w*)">', html)
        assert error and error.group(1) == (field or "customer_id"), (fields, html)
        assert 'value="kept"' in html  # what was typed is still there
    assert await db.read(maintenance_store.list_windows) == []


async def test_it_ends_a_window_with_the_end_button(
    operator_client: Client, db: Database, seeded: Seeded, clock: Clock
) -> None:
    await _create(
        operator_client,
        scope="acme",
        frequency="once",
        starts_at="2024-05-06T09:00",
        ends_at="2024-05-06T18:00",
    )
    (stored,) = await db.read(maintenance_store.list_windows)
    clock.advance(timedelta(minutes=20))
    form = {"csrf_token": await _token(operator_client)}
    response = await operator_client.post(f"/maintenance/{stored.id}/end", data=form)
    assert response.url.path == "/maintenance"
    html = await response.text()
    assert f'data-window-id="{stored.id}"' not in _table(html, "current-windows")
    row = _row(_table(html, "ended-windows"), stored.id)
    assert 'data-state="ended"' in row and "End now" not in row and "by hand" in row
    (ended,) = await db.read(maintenance_store.list_windows)
    assert ended.ended_at == START + timedelta(minutes=20)

    again = await operator_client.post(f"/maintenance/{stored.id}/end", data=form)
    assert again.status == 200 and again.url.path == "/maintenance"  # harmless
    missing = await operator_client.post("/maintenance/99/end", data=form)
    assert missing.status == 404


async def test_it_refuses_forms_without_the_csrf_token_and_changes_nothing(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    await _create(
        operator_client,
        scope="acme",
        frequency="once",
        starts_at="2024-05-06T09:00",
        ends_at="2024-05-06T18:00",
    )
    fields = {"scope": "acme", "frequency": "once", "csrf_token": "forged"}
    created = await operator_client.post("/maintenance", data=fields)
    ended = await operator_client.post("/maintenance/1/end", data={"csrf_token": "forged"})
    assert (created.status, ended.status) == (403, 403)
    (window,) = await db.read(maintenance_store.list_windows)
    assert window.ended_at is None


async def test_it_sends_visitors_who_are_not_logged_in_to_the_login_form(client: Client) -> None:
    response = await client.get("/maintenance", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login?next=/maintenance"
    posted = await client.post("/maintenance", data={}, allow_redirects=False)
    assert posted.status == 303


async def test_it_links_the_page_from_the_navigation(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get("/maintenance")).text()
    assert '<a href="/maintenance" aria-current="page">Maintenance</a>' in html
    assert "No maintenance in force or scheduled." in html and "No ended windows." in html
