"""The incident page: the explanation sentence, the history, and CSRF-protected lifecycle steps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select, update

from collector.config.settings import CollectorConfig
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import schema
from collector.store.database import Database
from dashboard import sessions
from tests.support.clock import Clock
from tests.support.dashboard import START, Seeded, csrf_token, session_cookie
from tests.support.incidents import add_customer, lose_access, open_incident

Client = TestClient[web.Request, web.Application]

# START is Monday 6 May 2024, 10:00 UTC (11:00 BST): England's Early May bank holiday.
TUESDAY_9_BST = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def _priority_incident(conn: Connection, config: CollectorConfig) -> int:
    host = add_customer(conn, "vip", "priority-uk", START)
    incident_id = open_incident(conn, config, host, START)
    lose_access(conn, host, TUESDAY_9_BST, TUESDAY_9_BST + timedelta(minutes=40))
    return incident_id


def _events(html: str) -> list[str]:
    return re.findall(r'<tr data-event="([a-z_]+)">', html)


def _log_in_again(
    client: Client, db: Database, config: CollectorConfig, seeded: Seeded, now: datetime
) -> None:
    """Sessions last 12 h: a test that moves the clock a day on needs a fresh one."""
    value = session_cookie(db, config, "operator", seeded.operator.id, now)
    client.session.cookie_jar.update_cookies({sessions.COOKIE: value}, client.make_url("/"))


async def test_it_explains_why_the_incident_is_due_when_it_is(
    operator_client: Client, db: Database, config: CollectorConfig, clock: Clock, seeded: Seeded
) -> None:
    incident_id = await db.write(_priority_incident, config)
    clock.advance(timedelta(days=1))  # Tuesday 11:00 BST: the outage is over
    _log_in_again(operator_client, db, config, seeded, clock.now)
    page = await operator_client.get(f"/incidents/{incident_id}")
    assert page.status == 200
    html = await page.text()
    assert (
        '<p id="explanation">due Tue 7 May 11:40 Europe/London — opened Mon 6 May 11:00 outside '
        "hours; 6 May public holiday; paused 40 min while SSH was unreachable</p>"
    ) in html
    assert 'id="front-of-queue"' in html
    assert (
        '<td class="calendar">Mon-Fri 09:00-17:00 Europe/London, England public holidays</td>'
    ) in html
    assert '<li class="pause">paused ' in html and ": SSH was unreachable</li>" in html
    assert _events(html) == ["opened"]
    assert 'id="action-respond"' in html and 'id="action-wait"' in html
    assert 'id="action-close"' not in html


async def test_it_shows_a_met_target_as_met_rather_than_counting_down(
    operator_client: Client, seeded: Seeded
) -> None:
    _, html = await _responded(operator_client, seeded)
    row = re.search(r'<tr data-target="first_response">.*?</tr>', html, re.S)
    assert row is not None
    assert 'data-outcome="met"' in row.group(0) and 'class="rel' not in row.group(0)


async def test_it_records_a_step_under_the_operator_and_shows_it(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    path = f"/incidents/{seeded.incident_id}"
    token = csrf_token(await (await operator_client.get(path)).text())
    form = {"csrf_token": token, "note": "rang Pat"}
    response = await operator_client.post(f"{path}/respond", data=form, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == path

    html = await (await operator_client.get(path)).text()
    assert 'data-status="responded"' in html
    assert _events(html) == ["opened", "responded"]
    assert "<td>olga</td><td>first response given: rang Pat</td>" in html
    incident = await db.read(incident_store.get_incident, seeded.incident_id)
    assert incident is not None and incident.responded_at == START


async def test_it_refuses_a_step_without_the_csrf_token(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    path = f"/incidents/{seeded.incident_id}/respond"
    response = await operator_client.post(path, data={"note": "x"}, allow_redirects=False)
    assert response.status == 403
    incident = await db.read(incident_store.get_incident, seeded.incident_id)
    assert incident is not None and incident.status == "open"


async def test_it_says_why_a_step_is_not_possible_and_changes_nothing(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    path = f"/incidents/{seeded.incident_id}"
    token = csrf_token(await (await operator_client.get(path)).text())
    response = await operator_client.post(f"{path}/arrived", data={"csrf_token": token})
    assert response.status == 409
    assert "is open (no response yet)" in await response.text()
    events = await db.read(incident_store.events, seeded.incident_id)
    assert [e.kind for e in events] == ["opened"]


async def test_it_links_each_queued_incident_to_its_page_with_the_time_left(
    operator_client: Client, seeded: Seeded
) -> None:
    html = await (await operator_client.get("/incidents")).text()
    row = re.search(rf'<tr data-incident-id="{seeded.incident_id}".*?</tr>', html, re.S)
    assert row is not None
    assert f'<a href="/incidents/{seeded.incident_id}">INC-2024-0001</a>' in row.group(0)
    assert "in 3 h 20 min" in row.group(0)


async def test_it_answers_404_for_an_incident_that_does_not_exist(
    operator_client: Client,
) -> None:
    assert (await operator_client.get("/incidents/999")).status == 404
    assert (await operator_client.get("/incidents/abc")).status == 404


async def test_it_keeps_a_note_internal_and_mails_a_public_reply(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    page = f"/incidents/{seeded.incident_id}"
    for text, visibility in (("internal only", "internal"), ("on our way", "public")):
        html = await (await operator_client.get(page)).text()
        form = {"csrf_token": csrf_token(html), "text": text, "visibility": visibility}
        response = await operator_client.post(f"{page}/comments", data=form, allow_redirects=False)
        assert response.status == 303
    events = await db.read(incident_store.events, seeded.incident_id)
    said = {e.detail: (e.kind, e.public) for e in events if e.kind in ("note", "comment")}
    assert said == {"internal only": ("note", False), "on our way": ("comment", True)}
    bodies = await db.read(
        lambda conn: conn.scalars(
            select(schema.outbox.c.body).where(schema.outbox.c.kind == "ticket_reply")
        ).all()
    )
    assert len(bodies) == 1 and "on our way" in bodies[0] and "internal only" not in bodies[0]


async def test_it_asks_to_confirm_resolving_while_the_fault_is_open_and_says_so_after(
    operator_client: Client, seeded: Seeded
) -> None:
    path, html = await _responded(operator_client, seeded)
    assert 'id="force"' in html and "is still open: resolve or close anyway" in html
    token = csrf_token(html)
    refused = await operator_client.post(f"{path}/resolve", data={"csrf_token": token})
    assert refused.status == 409
    assert "still open" in await refused.text()
    form = {"csrf_token": token, "force": "yes"}
    await operator_client.post(f"{path}/resolve", data=form)
    html = await (await operator_client.get(path)).text()
    assert _events(html)[-1] == "resolved" and "while its fault was still open (confirmed)" in html


async def test_it_shows_an_ended_incident_with_its_outcome_and_no_clock(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    incident = await db.read(incident_store.get_incident, seeded.incident_id)
    assert incident is not None
    await db.write(incident_store.resolve_for_fault, incident.fault_id, START)
    html = await (await operator_client.get(f"/incidents/{seeded.incident_id}")).text()
    assert 'id="response-outcome" data-outcome="met"' in html
    assert '<span class="rel">in ' not in html and "overdue" not in html  # no clock
    assert '<h1><span id="reference">INC-2024-0001</span>' in html


def _explained_fault(conn: Connection) -> int:
    fault_id = fault_store.open_fault(
        conn, host_id="pbx1", check_key="unit:logrotate.service", severity="major",
        title="Service <logrotate>", detail="failed", at=START,
    )  # fmt: skip
    conn.execute(
        update(schema.faults)
        .where(schema.faults.c.id == fault_id)
        .values(suppressed_by="disk:/var")
    )
    return fault_id


async def test_it_lists_the_faults_its_fault_explains_under_it(
    operator_client: Client, db: Database, seeded: Seeded
) -> None:
    fault_id = await db.write(_explained_fault)
    html = await (await operator_client.get(f"/incidents/{seeded.incident_id}")).text()
    match = re.search(r'<ul id="explained">(.*?)</ul>', html, re.S)
    assert match is not None
    assert f'<li data-fault-id="{fault_id}"><a href="/faults/{fault_id}">' in match.group(1)
    assert "Service &lt;logrotate&gt;" in match.group(1)  # escaped


async def _responded(operator_client: Client, seeded: Seeded) -> tuple[str, str]:
    """Respond to the seeded incident from its page; the page's path and its HTML after."""
    path = f"/incidents/{seeded.incident_id}"
    token = csrf_token(await (await operator_client.get(path)).text())
    await operator_client.post(f"{path}/respond", data={"csrf_token": token})
    return path, await (await operator_client.get(path)).text()
