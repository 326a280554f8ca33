"""The customers' portal: their hosts, faults, tickets and contract, and nobody else's."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from collector.config.settings import CollectorConfig
from collector.operations.signin import Account
from collector.operations.tickets import NewComment, comment
from collector.store import customer_users, inventory, schema
from collector.store import incidents as incident_store
from collector.store.database import Database
from dashboard.sessions import COOKIE
from tests.support.dashboard import START, Seeded, csrf_token
from tests.support.portal import OtherCustomer, customer_cookie

Client = TestClient[web.Request, web.Application]


async def _form_post(client: Client, page: str, action: str, **fields: str) -> int:
    html = await (await client.get(page)).text()
    form = {"csrf_token": csrf_token(html), **fields}
    response = await client.post(action, data=form, allow_redirects=False)
    return response.status


def _mail(db: Database, kind: str) -> list[tuple[str, str]]:
    return [(recipient, body) for recipient, _, body in _mail_with_subjects(db, kind)]


def _mail_with_subjects(
    db: Database, kind: str, fault_id: int | None = None
) -> list[tuple[str, str, str]]:
    """Each ``kind`` mail's recipient, subject and body; about ``fault_id`` when given."""
    outbox = schema.outbox.c
    query = select(outbox.recipient, outbox.subject, outbox.body).where(outbox.kind == kind)
    if fault_id is not None:
        query = query.where(outbox.fault_id == fault_id)
    return [tuple(row) for row in db.transaction(lambda conn: conn.execute(query).all())]


async def _log_ticket(portal: Client, **fields: str) -> int:
    """Log a fault through the portal's form; returns the new ticket's (incident's) id."""
    html = await (await portal.get("/portal/tickets/new")).text()
    form = {"csrf_token": csrf_token(html), **fields}
    response = await portal.post("/portal/tickets", data=form, allow_redirects=False)
    assert response.status == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def test_it_shows_the_customer_their_own_hosts_only(portal: Client) -> None:
    response = await portal.get("/portal/")
    html = await response.text()
    assert response.status == 200
    hosts = re.findall(r'data-host-id="([^"]+)" data-status="([^"]+)"', html)
    assert sorted(hosts) == [("pbx1", "silent"), ("web1", "silent")]
    assert "globex" not in html.lower()


async def test_it_sends_a_customer_from_login_to_the_portal_and_keeps_operator_pages_hidden(
    portal: Client,
) -> None:
    assert (await portal.get("/faults", allow_redirects=False)).status == 404
    home = await portal.get("/", allow_redirects=False)
    assert (home.status, home.headers["Location"]) == (303, "/portal/")


async def test_it_lets_the_customer_acknowledge_their_fault(
    portal: Client, db: Database, seeded: Seeded
) -> None:
    status = await _form_post(
        portal, "/portal/faults", f"/portal/faults/{seeded.fault_id}/ack", comment="on it"
    )
    assert status == 303
    row = db.transaction(
        lambda conn: conn.execute(
            select(schema.faults).where(schema.faults.c.id == seeded.fault_id)
        ).one()
    )
    assert (row.acknowledged_by, row.ack_comment) == ("pat@acme.example", "on it")


async def test_it_logs_a_fault_as_a_ticket_under_the_contract(
    portal: Client, db: Database, seeded: Seeded
) -> None:
    html = await (await portal.get("/portal/tickets/new")).text()
    form = {
        "csrf_token": csrf_token(html),
        "title": "Reception phone shows No service",
        "description": "since this morning",
        "host_id": "pbx1",
        "urgency": "high",
    }
    response = await portal.post("/portal/tickets", data=form, allow_redirects=False)
    assert response.status == 303
    incident_id = int(response.headers["Location"].rsplit("/", 1)[1])
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    assert (incident.customer_id, incident.severity, incident.host_id) == (
        "acme",
        "critical",
        "pbx1",
    )
    recipients = {r for r, _ in _mail(db, "fault_opened")}
    assert {"noc@vendor.example", "pat@acme.example"} <= recipients
    page = await (await portal.get(f"/portal/tickets/{incident_id}")).text()
    assert "Reception phone shows No service" in page
    assert "since this morning" in page


async def test_it_mails_a_logged_fault_as_the_customer_titled_it_and_as_theirs(
    portal: Client, db: Database
) -> None:
    title = "Reception phone shows No service"
    incident_id = await _log_ticket(
        portal, title=title, description="since 9", host_id="pbx1", urgency="high"
    )
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    reference = f"INC-2024-{incident_id:04d}"
    mails = {r: (s, b) for r, s, b in _mail_with_subjects(db, "fault_opened", incident.fault_id)}
    assert mails["pat@acme.example"][0] == f"FAULT: {title} on acme-pbx [{reference}]"
    assert mails["noc@vendor.example"][0] == (
        f"CRITICAL: {title} on acme-pbx (Acme <Widgets> & Co) [{reference}]"
    )
    for _, body in mails.values():
        assert body.startswith("Acme <Widgets> & Co has reported a fault.\n")
        assert "has found a fault" not in body and "customer-report" not in body


async def test_it_quotes_the_incident_reference_on_the_ticket_list_and_page(
    portal: Client, seeded: Seeded
) -> None:
    reference = f"INC-2024-{seeded.incident_id:04d}"
    listed = await (await portal.get("/portal/tickets")).text()
    assert f'<a href="/portal/tickets/{seeded.incident_id}">{reference}</a>' in listed
    page = await (await portal.get(f"/portal/tickets/{seeded.incident_id}")).text()
    assert f'<dd id="reference">{reference}</dd>' in page
    assert f"<title>{reference}: Disk /var 97% full" in page
    assert not re.search(r"#\d", listed + page)


async def test_it_shows_a_tickets_status_in_words(
    portal: Client, db: Database, seeded: Seeded
) -> None:
    for was, status in (("open", "responded"), ("responded", "onsite_requested")):
        db.transaction(
            incident_store.transition, seeded.incident_id,
            from_status=was, to_status=status, stamp=f"{status}_at", at=START,
        )  # fmt: skip
    listed = await (await portal.get("/portal/tickets")).text()
    page = await (await portal.get(f"/portal/tickets/{seeded.incident_id}")).text()
    assert '<dd id="ticket-status">waiting for an on-site visit</dd>' in page
    assert "<td>waiting for an on-site visit</td>" in listed
    assert ">onsite_requested<" not in listed + page


async def test_it_refuses_a_ticket_on_another_customers_host(
    portal: Client, db: Database, globex: OtherCustomer
) -> None:
    html = await (await portal.get("/portal/tickets/new")).text()
    form = {"csrf_token": csrf_token(html), "title": "x", "host_id": globex.host_id}
    response = await portal.post("/portal/tickets", data=form, allow_redirects=False)
    assert response.status == 400
    assert len(db.transaction(incident_store.customer_incidents, "acme")) == 1  # the seeded one


async def test_it_mails_comments_to_the_other_side_and_hides_internal_notes(
    portal: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    page = f"/portal/tickets/{seeded.incident_id}"
    action = f"{page}/comments"
    assert await _form_post(portal, page, action, text="Still down here") == 303
    [(noc, body)] = _mail(db, "ticket_comment")
    assert noc == "noc@vendor.example" and "Still down here" in body
    olga = Account("operator", seeded.operator.id, "olga", "admin")
    for text, public in (("Engineer on the way", True), ("customer is grumpy", False)):
        db.transaction(
            comment,
            olga,
            seeded.incident_id,
            NewComment(text=text, public=public),
            address="",
            now=START,
            config=config,
        )
    replies = _mail(db, "ticket_reply")
    assert {r for r, _ in replies} == {"pat@acme.example"}
    assert all("Engineer on the way" in b and "grumpy" not in b for _, b in replies)
    html = await (await portal.get(page)).text()
    assert "Still down here" in html and "Engineer on the way" in html
    assert "grumpy" not in html


async def test_it_refuses_a_blank_comment_saying_there_is_nothing_to_add(
    portal: Client, db: Database, seeded: Seeded
) -> None:
    page = f"/portal/tickets/{seeded.incident_id}"
    html = await (await portal.get(page)).text()
    form = {"csrf_token": csrf_token(html), "text": " \n\t "}
    response = await portal.post(f"{page}/comments", data=form, allow_redirects=False)
    assert response.status == 400
    assert "Nothing to add" in await response.text()
    assert _mail(db, "ticket_comment") == []


async def test_it_quotes_the_incident_reference_in_the_conversations_mails(
    portal: Client, db: Database, config: CollectorConfig, seeded: Seeded
) -> None:
    reference, title = f"INC-2024-{seeded.incident_id:04d}", "Disk /var 97% full"
    page = f"/portal/tickets/{seeded.incident_id}"
    assert await _form_post(portal, page, f"{page}/comments", text="Still down here") == 303
    olga = Account("operator", seeded.operator.id, "olga", "admin")
    public = NewComment(text="Engineer on the way", public=True)
    db.transaction(comment, olga, seeded.incident_id, public, address="", now=START, config=config)
    [(_, asked, question)] = _mail_with_subjects(db, "ticket_comment")
    [(_, replied, reply)] = _mail_with_subjects(db, "ticket_reply")
    assert asked == f"[{reference}] Acme <Widgets> & Co: comment on {title}"
    assert replied == f"[{reference}] Reply on your ticket: {title}"
    assert f"ticket {reference}, {title}" in question and f"ticket {reference}, {title}" in reply


async def test_it_states_the_contract_in_plain_words(portal: Client) -> None:
    html = await (await portal.get("/portal/contract")).text()
    assert 'id="tier"' in html
    assert "Pat &lt;pat@acme.example&gt;" in html


async def test_it_lets_a_customer_admin_invite_a_colleague_to_their_own_organisation(
    portal: Client, db: Database
) -> None:
    status = await _form_post(
        portal, "/portal/people", "/portal/people/invite", email="sam@acme.example"
    )
    assert status == 303
    sam = db.transaction(customer_users.user_by_email, "sam@acme.example")
    assert sam is not None and (sam.customer_id, sam.role) == ("acme", "customer")
    assert [r for r, _ in _mail(db, "account_invite")] == ["sam@acme.example"]


async def test_it_holds_a_priority_customer_to_two_named_contacts(
    portal: Client, db: Database
) -> None:
    db.transaction(inventory.add_contract, "acme", "priority-uk", START, None, 0)
    fields = {f"name{i}": f"P{i}" for i in range(3)}
    fields.update({f"email{i}": f"p{i}@acme.example" for i in range(3)})
    page = "/portal/people"
    assert await _form_post(portal, page, "/portal/people/contacts", **fields) == 400
    assert db.transaction(inventory.contact_emails, "acme") == ["pat@acme.example"]
    del fields["name2"], fields["email2"]
    assert await _form_post(portal, page, "/portal/people/contacts", **fields) == 303
    assert db.transaction(inventory.contact_emails, "acme") == [
        "p0@acme.example",
        "p1@acme.example",
    ]


async def test_it_shows_a_plain_customer_user_no_people_page(
    client: Client, db: Database, config: CollectorConfig, globex: OtherCustomer
) -> None:
    cookie = customer_cookie(db, config, globex.user_id, START)
    client.session.cookie_jar.update_cookies({COOKIE: cookie}, client.make_url("/"))
    assert (await client.get("/portal/people")).status == 404


async def test_it_answers_an_operator_on_the_portal_with_404_not_a_login_loop(
    operator_client: Client,
) -> None:
    response = await operator_client.get("/portal/", allow_redirects=False)
    assert response.status == 404
