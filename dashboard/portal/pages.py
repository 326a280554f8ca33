"""The portal's pages: status, faults (with acknowledge), tickets (with comments), logging a
fault. Every id in a URL goes through ``collector.operations.customer_scope`` with the
session's customer; another customer's id answers 404 exactly as a missing one does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.operations import customer_scope as scope
from collector.operations.announced_days import announced_days
from collector.operations.contract_words import contract_words
from collector.operations.signin import Account
from collector.operations.tickets import (
    URGENCY,
    NewComment,
    NewTicket,
    NotTheirs,
    acknowledge,
    log_fault,
)
from collector.store import inventory
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard import csrf
from dashboard.comments import add_comment, nothing_to_add
from dashboard.render import render
from dashboard.sessions import client_address, logged_in_account, require_customer

MAX_ID = 2**31 - 1


def path_id(request: web.Request, name: str) -> int:
    """A numeric id from the path: ASCII digits within range, else 404."""
    text = request.match_info[name]
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise web.HTTPNotFound()
    return int(text)


def _customer(request: web.Request) -> Account:
    return logged_in_account(request)


async def _not_found(request: web.Request) -> web.Response:
    context = {"title": "Not found", "message": "There is nothing here with that number."}
    return await render(request, "error.html", context, status=404)


def _status_facts(conn: Connection, customer_id: str, request: web.Request) -> dict[str, Any]:
    now = request.app[CLOCK]()
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    return {
        "hosts": scope.hosts(conn, customer_id, now, missed),
        "open_faults": scope.faults(conn, customer_id, open_only=True),
        "open_tickets": scope.tickets(conn, customer_id, open_only=True),
        "maintenance": scope.upcoming_maintenance(conn, customer_id, now),
        "announced": announced_days(conn, customer_id, now, request.app[CONFIG]),
    }


@require_customer
async def status_page(request: web.Request) -> web.Response:
    who = _customer(request)
    assert who.customer_id is not None
    facts = await request.app[DATABASE].read(_status_facts, who.customer_id, request)
    return await render(request, "portal/status.html", facts)


@require_customer
async def fault_list(request: web.Request) -> web.Response:
    who = _customer(request)
    assert who.customer_id is not None
    db = request.app[DATABASE]
    open_faults = await db.read(scope.faults, who.customer_id, open_only=True)
    recent = await db.read(scope.faults, who.customer_id, open_only=False, limit=100)
    past = [f for f in recent if not f.is_open]
    return await render(request, "portal/faults.html", {"open_faults": open_faults, "past": past})


@require_customer
@csrf.protect
async def acknowledge_fault(request: web.Request) -> web.StreamResponse:
    fault_id = path_id(request, "fault_id")
    form = await request.post()
    text = form.get("comment")
    note = text.strip()[:2000] if isinstance(text, str) else ""
    try:
        await request.app[DATABASE].write(
            acknowledge,
            _customer(request),
            fault_id,
            note,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotTheirs:
        return await _not_found(request)
    raise web.HTTPSeeOther("/portal/faults")


@require_customer
async def ticket_list(request: web.Request) -> web.Response:
    who = _customer(request)
    assert who.customer_id is not None
    found = await request.app[DATABASE].read(scope.tickets, who.customer_id)
    now = request.app[CLOCK]()
    rows = [(t, scope.target_met(t, now)) for t in found]
    return await render(request, "portal/tickets.html", {"tickets": rows})


def _ticket_facts(conn: Connection, customer_id: str, incident_id: int) -> dict[str, Any] | None:
    incident = scope.ticket(conn, customer_id, incident_id)
    if incident is None:
        return None
    return {"ticket": incident, "timeline": scope.public_timeline(conn, incident.id)}


@require_customer
async def ticket_page(request: web.Request) -> web.Response:
    who = _customer(request)
    assert who.customer_id is not None
    incident_id = path_id(request, "incident_id")
    facts = await request.app[DATABASE].read(_ticket_facts, who.customer_id, incident_id)
    if facts is None:
        return await _not_found(request)
    facts["met"] = scope.target_met(facts["ticket"], request.app[CLOCK]())
    return await render(request, "portal/ticket.html", facts)


@require_customer
@csrf.protect
async def post_comment(request: web.Request) -> web.StreamResponse:
    incident_id = path_id(request, "incident_id")
    form = await request.post()
    try:
        body = NewComment.model_validate({"text": form.get("text")})
    except ValidationError:
        return await nothing_to_add(request, "comment")
    if not await add_comment(request, _customer(request), incident_id, body):
        return await _not_found(request)
    raise web.HTTPSeeOther(f"/portal/tickets/{incident_id}")


async def _new_ticket_form(
    request: web.Request, error: str | None, values: dict[str, Any], status: int = 200
) -> web.Response:
    who = _customer(request)
    hosts = await request.app[DATABASE].read(inventory.list_hosts, who.customer_id)
    context = {"hosts": hosts, "error": error, "values": values, "urgencies": list(URGENCY)}
    return await render(request, "portal/new_ticket.html", context, status=status)


@require_customer
async def new_ticket_page(request: web.Request) -> web.Response:
    return await _new_ticket_form(request, None, {})


@require_customer
@csrf.protect
async def create_ticket(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {k: form.get(k) for k in ("title", "description", "host_id", "urgency")}
    values["host_id"] = values["host_id"] or None
    try:
        body = NewTicket.model_validate(values)
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        error = f"Please check the {field}: {exc.errors()[0]['msg']}."
        return await _new_ticket_form(request, error, values, status=400)
    try:
        incident_id = await request.app[DATABASE].write(
            log_fault,
            _customer(request),
            body,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotTheirs:
        return await _new_ticket_form(request, "Choose one of your hosts.", values, status=400)
    raise web.HTTPSeeOther(f"/portal/tickets/{incident_id}")


@require_customer
async def contract_page(request: web.Request) -> web.Response:
    who = _customer(request)
    assert who.customer_id is not None
    facts = await request.app[DATABASE].read(
        _contract_facts, who.customer_id, request.app[CLOCK](), request.app[CONFIG]
    )
    return await render(request, "portal/contract.html", facts)


def _contract_facts(
    conn: Connection, customer_id: str, now: datetime, config: CollectorConfig
) -> dict[str, Any]:
    return {
        "contract": contract_words(conn, customer_id, now, config),
        "announced": announced_days(conn, customer_id, now, config),
    }
