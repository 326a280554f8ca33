"""The incident page: why it is due when it is, who did what, and the next lifecycle steps.

Each step is a POST (CSRF-protected) recorded under the logged-in operator; a step the
incident's state does not allow gets a 409 page saying what it allows, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import Connection

from collector.config.tiers import catalogue_for
from collector.domain.access import AccessRules
from collector.domain.outcomes import Outcome
from collector.domain.sla import Explanation
from collector.domain.tiers import Tier
from collector.engine.incident_clock import DEFAULT_RULES, access_rules, explain_incident
from collector.operations.incidents import (
    ACTIONS,
    IncidentNotFound,
    TransitionRefused,
    allowed_actions,
    perform,
)
from collector.operations.tickets import NewComment
from collector.store import fault_causes, incident_pauses
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.incident_view import IncidentView
from collector.web.access import self_audited
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.ids import row_id
from dashboard import csrf
from dashboard.comments import add_comment, nothing_to_add
from dashboard.render import render
from dashboard.sessions import (
    logged_in_account,
    logged_in_operator,
    require_operator,
)

#: Button labels, in the order the buttons appear.
ACTION_LABELS = {
    "respond": "Record first response",
    "onsite": "On-site visit needed",
    "arrived": "Engineer on site",
    "resolve": "Resolved",
    "close": "Close",
    "wait": "Waiting on the customer",
    "resume": "Customer answered",
    "access-granted": "Customer gave access",
    "confirm": "Failure confirmed, parts needed",
    "dispatch": "Parts dispatched",
    "deliver": "Parts delivered",
    "return": "Part returned",
}
MAX_NOTE = 2000


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/incidents/{incident_id}", incident_page)
    router.add_post("/incidents/{incident_id}/comments", incident_comment)
    for action in ACTIONS:  # one literal route each, so other /incidents/{id}/... stay free
        router.add_post(f"/incidents/{{incident_id}}/{action}", incident_step)


def _incident_id(request: web.Request) -> int:
    found = row_id(request.match_info["incident_id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


def _incident_facts(
    conn: Connection,
    incident_id: int,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
) -> dict[str, Any] | None:
    incident = incident_store.get_incident(conn, incident_id)
    if incident is None:
        return None
    waiting = incident_pauses.waiting_since(conn, incident_id)
    explanations = explain_incident(conn, incident, catalogue, now, rules)
    return {
        "incident": incident,
        "explanations": explanations,
        "outcomes": _outcomes(incident, explanations, now),
        "events": incident_store.events(conn, incident_id),
        "fault_open": _fault_open(conn, incident.fault_id),
        "explained": _explained(conn, incident.fault_id),
        "waiting_since": waiting,
        "actions": [(a, ACTION_LABELS[a]) for a in allowed_actions(incident, waiting is not None)],
        "max_note": MAX_NOTE,
    }


def _outcomes(
    incident: IncidentView, explanations: Mapping[str, Explanation], now: datetime
) -> dict[str, tuple[datetime | None, Outcome | None]]:
    """Each target's due time and outcome, as every other view judges it: the first response
    against its due time as stored (and mailed), the others against their clocks'."""
    found = {}
    for name, e in explanations.items():
        due = incident.response_due_at if name == "first_response" else e.due
        found[name] = (due, incident.outcome(name, due, now))
    return found


def _fault_open(conn: Connection, fault_id: int) -> bool:
    fault = fault_store.get_fault(conn, fault_id)
    return fault is not None and fault.is_open


def _explained(conn: Connection, fault_id: int) -> list[fault_store.FaultView]:
    """The open faults the incident's fault explains: one outage, listed under its cause."""
    fault = fault_store.get_fault(conn, fault_id)
    return fault_causes.explained_by(conn, fault) if fault is not None else []


@require_operator
async def incident_page(request: web.Request) -> web.Response:
    catalogue = catalogue_for(request.app[CONFIG])
    facts = await request.app[DATABASE].read(
        _incident_facts, _incident_id(request), catalogue, request.app[CLOCK]()
    )
    if facts is None:
        return await _not_found(request)
    return await render(request, "incident.html", facts)


async def _not_found(request: web.Request) -> web.Response:
    context = {"title": "No such incident", "message": "There is no incident with that number."}
    return await render(request, "error.html", context, status=404)


@require_operator
@csrf.protect
async def incident_step(request: web.Request) -> web.Response:
    incident_id, operator = _incident_id(request), logged_in_operator(request)
    action = request.path.rsplit("/", 1)[1]
    form = await request.post()
    note = form.get("note", "")
    note = note.strip() if isinstance(note, str) else ""
    force = form.get("force") == "yes"
    if len(note) > MAX_NOTE:
        context = {"title": "Note too long", "message": f"Keep the note to {MAX_NOTE} characters."}
        return await render(request, "error.html", context, status=400)
    try:
        await request.app[DATABASE].write(
            perform,
            incident_id,
            action,
            by=operator.username,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(request.app[CONFIG]),
            note=note,
            rules=access_rules(request.app[CONFIG]),
            force=force,
        )
    except IncidentNotFound:
        return await _not_found(request)
    except TransitionRefused as exc:
        context = {"title": "Not possible now", "message": f"{exc}. Nothing was changed."}
        return await render(request, "error.html", context, status=409)
    raise web.HTTPSeeOther(f"/incidents/{incident_id}")


@require_operator
@self_audited
@csrf.protect
async def incident_comment(request: web.Request) -> web.Response:
    """An internal note, or a public reply shown in the portal and mailed to the customer."""
    incident_id = _incident_id(request)
    form = await request.post()
    try:
        body = NewComment.model_validate(
            {"text": form.get("text"), "public": form.get("visibility") == "public"}
        )
    except ValidationError:
        return await nothing_to_add(request, "note")
    if not await add_comment(request, logged_in_account(request), incident_id, body):
        return await _not_found(request)
    raise web.HTTPSeeOther(f"/incidents/{incident_id}")
