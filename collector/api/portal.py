"""The customers' JSON API under /api/v1/portal/, for customer users' tokens.

Every handler gets the token's account, whose customer narrows every query
(``collector.operations.customer_scope``); an id that is not that customer's answers 404, the
same as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from collector.api.bodies import flag, limit, parse_body
from collector.operations import customer_scope as scope
from collector.operations.acknowledge import Acknowledgement
from collector.operations.signin import Account
from collector.operations.tickets import (
    NewComment,
    NewTicket,
    NotTheirs,
    acknowledge,
    comment,
    log_fault,
)
from collector.store.incident_view import IncidentView
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.client import client_address
from collector.web.errors import refuse
from collector.web.render import fault_json, host_json, rfc3339

MAX_ID = 2**31 - 1


def path_id(request: web.Request, what: str) -> int:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise refuse(404, f"no {what} {raw!r}")
    return int(raw)


def _customer(who: Account) -> str:
    assert who.customer_id is not None  # customer_required lets no one else in
    return who.customer_id


def ticket_json(incident: IncidentView, now: datetime) -> dict[str, Any]:
    """A ticket as the customer sees it: no internal terms, no operators' notes."""
    return {
        "id": incident.id,
        "reference": incident.reference,
        "fault_id": incident.fault_id,
        "title": incident.title,
        "host_id": incident.host_id,
        "severity": incident.severity,
        "status": incident.status,
        "tier": incident.tier,
        "opened_at": rfc3339(incident.opened_at),
        "response_due_at": rfc3339(incident.response_due_at),
        "timezone": str(incident.policy.get("timezone", "UTC")),
        "responded_at": rfc3339(incident.responded_at),
        "target_met": scope.target_met(incident, now),
        "closed_at": rfc3339(incident.closed_at),
    }


async def list_hosts(request: web.Request, who: Account) -> web.Response:
    now = request.app[CLOCK]()
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    rows = await request.app[DATABASE].read(scope.hosts, _customer(who), now, missed)
    return web.json_response(
        [{**host_json(r.host), "status": r.status, "open_faults": r.open_faults} for r in rows]
    )


async def list_faults(request: web.Request, who: Account) -> web.Response:
    open_only = bool(flag(request, "open"))
    found = await request.app[DATABASE].read(
        scope.faults, _customer(who), open_only=open_only, limit=limit(request)
    )
    return web.json_response([fault_json(f) for f in found])


async def get_fault(request: web.Request, who: Account) -> web.Response:
    fault_id = path_id(request, "fault")
    found = await request.app[DATABASE].read(scope.fault, _customer(who), fault_id)
    if found is None:
        raise refuse(404, f"no fault {fault_id}")
    return web.json_response(fault_json(found))


async def post_acknowledge(request: web.Request, who: Account) -> web.Response:
    fault_id = path_id(request, "fault")
    # Whose fault it is comes first: another's answers 404 whatever the body says.
    if await request.app[DATABASE].read(scope.fault, _customer(who), fault_id) is None:
        raise refuse(404, f"no fault {fault_id}")
    body = await parse_body(request, Acknowledgement)
    try:
        done = await request.app[DATABASE].write(
            acknowledge,
            who,
            fault_id,
            body.comment,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotTheirs:
        raise refuse(404, f"no fault {fault_id}") from None
    return web.json_response({"id": fault_id, "acknowledged": done})


async def list_tickets(request: web.Request, who: Account) -> web.Response:
    open_only = bool(flag(request, "open"))
    found = await request.app[DATABASE].read(
        scope.tickets, _customer(who), open_only=open_only, limit=limit(request)
    )
    now = request.app[CLOCK]()
    return web.json_response([ticket_json(t, now) for t in found])


def _ticket_detail(conn: Any, customer_id: str, incident_id: int, now: datetime) -> Any:
    found = scope.ticket(conn, customer_id, incident_id)
    if found is None:
        return None
    timeline = [
        {"at": rfc3339(e.at), "kind": e.kind, "by": e.actor, "text": e.words}
        for e in scope.public_timeline(conn, incident_id)
    ]
    return {**ticket_json(found, now), "timeline": timeline}


async def get_ticket(request: web.Request, who: Account) -> web.Response:
    incident_id = path_id(request, "ticket")
    now = request.app[CLOCK]()
    found = await request.app[DATABASE].read(_ticket_detail, _customer(who), incident_id, now)
    if found is None:
        raise refuse(404, f"no ticket {incident_id}")
    return web.json_response(found)


async def post_ticket(request: web.Request, who: Account) -> web.Response:
    body = await parse_body(request, NewTicket)
    db, now = request.app[DATABASE], request.app[CLOCK]()
    try:
        incident_id = await db.write(
            log_fault,
            who,
            body,
            address=client_address(request),
            now=now,
            config=request.app[CONFIG],
        )
    except NotTheirs as exc:
        # Another customer's host answers as one that does not exist: 404, naming the field.
        raise refuse(404, str(exc), field="host_id") from None
    found = await db.read(_ticket_detail, _customer(who), incident_id, now)
    return web.json_response(found, status=201)


async def post_comment(request: web.Request, who: Account) -> web.Response:
    incident_id = path_id(request, "ticket")
    if await request.app[DATABASE].read(scope.ticket, _customer(who), incident_id) is None:
        raise refuse(404, f"no ticket {incident_id}")
    body = await parse_body(request, NewComment)
    db, now = request.app[DATABASE], request.app[CLOCK]()
    try:
        await db.write(
            comment,
            who,
            incident_id,
            body,
            address=client_address(request),
            now=now,
            config=request.app[CONFIG],
        )
    except NotTheirs:
        raise refuse(404, f"no ticket {incident_id}") from None
    found = await db.read(_ticket_detail, _customer(who), incident_id, now)
    return web.json_response(found, status=201)
