"""Stopping the pages: the engineer's link from a page, and the operators' button.

As with the customer's link, GET only shows the incident and asks; POST acknowledges, so a
messaging app that previews the link changes nothing. Page links are signed for their own
purpose (``collector.notify.page_links``): a customer's fault link is refused here.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.notify.page_links import PageClaim, read_page_token
from collector.operations.incidents import IncidentNotFound
from collector.operations.paging import acknowledge_page
from collector.store.pages import PagingIncident, get_incident
from collector.web.access import signed
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.ids import row_id
from dashboard import csrf
from dashboard.links import LinkKind, Refusal, refuse
from dashboard.render import render
from dashboard.sessions import client_address, logged_in_operator, require_operator

log = logging.getLogger(__name__)

NO_SUCH_INCIDENT = Refusal(404, "This incident no longer exists.")


def _incident_named(conn: Connection, claim: PageClaim) -> PagingIncident | None:
    return get_incident(conn, claim.incident_id)


PAGE_LINK = LinkKind(read_page_token, _incident_named, NO_SUCH_INCIDENT)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/page-ack/{token}", confirm_page)
    router.add_post("/page-ack/{token}", acknowledge)
    router.add_post("/incidents/{incident_id}/page-ack", operator_acknowledge)


def _stage(incident: PagingIncident) -> str:
    if incident.engineer_acknowledged_at is not None:
        return "already"
    return "ended" if incident.ended_at is not None else "confirm"


async def _page(
    request: web.Request,
    stage: str,
    incident: PagingIncident,
    claim: PageClaim,
    status: int = 200,
) -> web.Response:
    secret, token = request.app[CONFIG].secret_key, request.match_info["token"]
    context: dict[str, Any] = {
        "stage": stage,
        "incident": incident,
        "claim": claim,
        "ack_field": csrf.page_ack_form_token(secret, token),
    }
    # The URL is the credential: keep it out of any Referer header.
    return await render(
        request, "page_ack.html", context, status=status, headers={"Referrer-Policy": "no-referrer"}
    )


@signed
async def confirm_page(request: web.Request) -> web.Response:
    """GET /page-ack/{token}: show the incident and a confirm form. Changes nothing."""
    return await PAGE_LINK.confirm_page(request, _stage, _page)


@signed
async def acknowledge(request: web.Request) -> web.Response:
    """POST /page-ack/{token}: the paged engineer takes the incident; paging stops."""
    claim = PAGE_LINK.claim(request)
    if isinstance(claim, Refusal):
        return await refuse(request, claim)
    secret, token = request.app[CONFIG].secret_key, request.match_info["token"]
    form = await request.post()
    if not csrf.page_ack_form_is_genuine(secret, token, form.get(csrf.FIELD)):
        return await csrf.refused(request)
    db, now = request.app[DATABASE], request.app[CLOCK]()
    incident = await PAGE_LINK.row(request, claim)
    if isinstance(incident, Refusal):
        return await refuse(request, incident)
    if _stage(incident) == "ended":  # paging stopped with the incident: nothing to take
        return await _page(request, "ended", incident, claim, status=409)
    try:
        done = await db.write(
            acknowledge_page,
            claim.incident_id,
            by=claim.person,
            via="from a page",
            now=now,
            actor=f"link:{claim.person}",
            address=client_address(request) or "unknown",
        )
    except IncidentNotFound:
        return await refuse(request, NO_SUCH_INCIDENT)
    if done:
        log.info("incident #%d: page acknowledged by %s", claim.incident_id, claim.person)
    incident = await PAGE_LINK.row(request, claim)
    if isinstance(incident, Refusal):
        return await refuse(request, incident)
    return await _page(request, "thanks" if done else "already", incident, claim)


@require_operator
@csrf.protect
async def operator_acknowledge(request: web.Request) -> web.Response:
    """An operator stops the paging (an engineer has it), recorded under their username."""
    incident_id = row_id(request.match_info["incident_id"])
    if incident_id is None:
        raise web.HTTPNotFound()
    operator = logged_in_operator(request)
    try:
        await request.app[DATABASE].write(
            acknowledge_page,
            incident_id,
            by=operator.username,
            via="in the dashboard",
            now=request.app[CLOCK](),
            actor=f"operator:{operator.username}",
            address=client_address(request) or "unknown",
        )
    except IncidentNotFound:
        return await refuse(request, NO_SUCH_INCIDENT)
    raise web.HTTPSeeOther("/incidents")
