"""Operator pages for faults: the list, one fault with its history, and acknowledging."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.notify import outbox
from collector.operations.acknowledge import FaultNotFound, acknowledge_fault
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.client import client_address
from collector.web.ids import row_id
from dashboard import csrf
from dashboard.ack import MAX_COMMENT
from dashboard.render import render
from dashboard.sessions import logged_in_operator, require_operator


@require_operator
async def fault_list(request: web.Request) -> web.Response:
    show_all = request.query.get("all") == "1"
    rows = await request.app[DATABASE].read(fault_store.list_faults, open_only=not show_all)
    return await render(request, "faults.html", {"faults": rows, "show_all": show_all})


def _fault_id(request: web.Request) -> int:
    found = row_id(request.match_info["fault_id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


def _fault_facts(conn: Connection, fault_id: int) -> dict[str, Any] | None:
    fault = fault_store.get_fault(conn, fault_id)
    if fault is None:
        return None
    return {
        "fault": fault,
        "events": fault_store.events(conn, fault_id),
        "incident": incident_store.incident_for_fault(conn, fault_id),
        "messages": outbox.recent(conn, 50, fault_id),
    }


@require_operator
async def fault_detail(request: web.Request) -> web.Response:
    facts = await request.app[DATABASE].read(_fault_facts, _fault_id(request))
    if facts is None:
        return await _not_found(request)
    facts["public_url"] = request.app[CONFIG].http.public_url
    facts["max_comment"] = MAX_COMMENT
    return await render(request, "fault.html", facts)


async def _not_found(request: web.Request) -> web.Response:
    context = {"title": "No such fault", "message": "There is no fault with that number."}
    return await render(request, "error.html", context, status=404)


@require_operator
@csrf.protect
async def acknowledge(request: web.Request) -> web.Response:
    """An operator acknowledges: recorded under their username, then back to the fault."""
    fault_id, operator = _fault_id(request), logged_in_operator(request)
    form = await request.post()
    comment = form.get("comment", "")
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_COMMENT:
        message = f"The comment is longer than {MAX_COMMENT} characters."
        context = {"title": "Comment too long", "message": message}
        return await render(request, "error.html", context, status=400)
    try:
        await request.app[DATABASE].write(
            acknowledge_fault,
            fault_id,
            by=operator.username,
            comment=comment,
            address=client_address(request) or "unknown",
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except FaultNotFound:
        return await _not_found(request)
    # Acknowledging twice is harmless: the page shows who was first.
    raise web.HTTPSeeOther(f"/faults/{fault_id}")
