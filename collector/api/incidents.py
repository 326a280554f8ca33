"""One incident with why it is due when it is and its history, and its lifecycle steps.

``POST /api/v1/incidents/{id}/{action}`` records the step under the token's operator; a step
the incident's state does not allow is a 409 saying what the state allows, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import Connection

from collector.api.bodies import parse_body
from collector.config.tiers import catalogue_for
from collector.domain.access import AccessRules
from collector.domain.tiers import Tier
from collector.engine.incident_clock import DEFAULT_RULES, access_rules, explain_incident
from collector.operations.fields import Text
from collector.operations.incidents import (
    ACTIONS,
    IncidentNotFound,
    TransitionRefused,
    allowed_actions,
    perform,
)
from collector.store import incident_pauses
from collector.store import incidents as incident_store
from collector.store.incident_view import IncidentView
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from collector.web.ids import row_id
from collector.web.render import incident_json, rfc3339

#: The action segment of the route: only these, so other ``/incidents/{id}/...`` routes stay free.
ACTION_PATTERN = "|".join(ACTIONS)


class IncidentStep(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field("", max_length=2000)
    #: Resolve or close although the incident's fault is still open; the history says so.
    force: StrictBool = False


def incident_detail(
    conn: Connection,
    incident_id: int,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
) -> dict[str, Any] | None:
    """The incident, each started target's due time and explanation, its history and the
    steps its state allows now."""
    incident = incident_store.get_incident(conn, incident_id)
    if incident is None:
        return None
    explained = explain_incident(conn, incident, catalogue, now, rules)
    waiting = incident_pauses.waiting_since(conn, incident_id)
    response = explained.get("first_response")
    return {
        **incident_json(incident),
        "host_id": incident.host_id,
        "front_of_queue": incident.front_of_queue,
        "responded_at": rfc3339(incident.responded_at),
        "onsite_requested_at": rfc3339(incident.onsite_requested_at),
        "on_site_at": rfc3339(incident.on_site_at),
        "resolved_at": rfc3339(incident.resolved_at),
        "sla_warned_at": rfc3339(incident.sla_warned_at),
        "sla_breached_at": rfc3339(incident.sla_breached_at),
        "waiting_since": rfc3339(waiting),
        "failure_confirmed_at": rfc3339(incident.failure_confirmed_at),
        "parts_dispatched_at": rfc3339(incident.parts_dispatched_at),
        "parts_delivered_at": rfc3339(incident.parts_delivered_at),
        "part_returned_at": rfc3339(incident.part_returned_at),
        "access_granted_at": rfc3339(incident.access_granted_at),
        "explanation": response.sentence if response else _no_target(incident),
        "targets": {
            name: {
                "due": rfc3339(e.due),
                "zone": e.zone,
                "rule": e.rule,
                "explanation": e.sentence,
                "calendar": e.calendar,
                "pauses": [
                    {"from": rfc3339(p.start), "to": rfc3339(p.end), "reason": p.reason}
                    for p in e.pauses
                ],
            }
            for name, e in explained.items()
        },
        "events": [
            {"at": rfc3339(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail}
            for e in incident_store.events(conn, incident_id)
        ],
        "actions": allowed_actions(incident, waiting is not None),
    }


def _no_target(incident: IncidentView) -> str | None:
    return None if incident.covered else f"{incident.not_covered_reason} No target applies."


def _incident_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    found = row_id(raw)
    if found is None:
        raise refuse(404, f"no incident {raw!r}")
    return found


async def get_incident(request: web.Request, _operator: Operator) -> web.Response:
    incident_id = _incident_id(request)
    catalogue = catalogue_for(request.app[CONFIG])
    detail = await request.app[DATABASE].read(
        incident_detail, incident_id, catalogue, request.app[CLOCK](),
        access_rules(request.app[CONFIG]),
    )  # fmt: skip
    if detail is None:
        raise refuse(404, f"no incident #{incident_id}")
    return web.json_response(detail)


def act(
    conn: Connection,
    incident_id: int,
    action: str,
    *,
    by: str,
    note: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    rules: AccessRules = DEFAULT_RULES,
    force: bool = False,
) -> dict[str, Any] | None:
    """Take the step and read the incident back in the same transaction."""
    perform(
        conn, incident_id, action, by=by, now=now, catalogue=catalogue, note=note, rules=rules,
        force=force,
    )  # fmt: skip
    return incident_detail(conn, incident_id, catalogue, now, rules)


async def post_action(request: web.Request, operator: Operator) -> web.Response:
    incident_id = _incident_id(request)
    body = await parse_body(request, IncidentStep)
    try:
        detail = await request.app[DATABASE].write(
            act,
            incident_id,
            request.match_info["action"],
            by=operator.username,
            note=body.note,
            force=body.force,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(request.app[CONFIG]),
            rules=access_rules(request.app[CONFIG]),
        )
    except IncidentNotFound as exc:
        raise refuse(404, str(exc)) from None
    except TransitionRefused as exc:
        raise refuse(409, str(exc)) from None
    return web.json_response(detail)
