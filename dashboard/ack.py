"""The customer's acknowledgement link: GET shows the fault and asks; only POST acknowledges.

Mail security scanners fetch every link in a message before a person sees it, so the GET
must change nothing. The link itself is the credential (signed, expiring, naming the
recipient); whoever confirms is recorded as that recipient, with the client address.

The address is the client's as ``collector.web.client`` sees it: ``X-Forwarded-For`` is
believed only from the proxies in ``http.trusted_proxies``, since anyone can write any address
into it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.notify.ack_links import AckClaim, read_token
from collector.operations.acknowledge import FaultNotFound, acknowledge_from_link
from collector.store.faults import FaultView, get_fault
from collector.store.incidents import incident_for_fault
from collector.web.access import signed
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.client import client_address
from dashboard import csrf
from dashboard.links import LinkKind, Refusal, refuse
from dashboard.render import render
from dashboard.zones import customer_zone

log = logging.getLogger(__name__)

MAX_COMMENT = 2000


NO_SUCH_FAULT = Refusal(404, "This fault no longer exists.")


def _fault_named(conn: Connection, claim: AckClaim) -> FaultView | None:
    return get_fault(conn, claim.fault_id)


FAULT_LINK = LinkKind(read_token, _fault_named, NO_SUCH_FAULT)


async def _page(
    request: web.Request, stage: str, fault: FaultView, claim: AckClaim, status: int = 200
) -> web.Response:
    token = request.match_info["token"]
    # The mail quoted the incident's reference: the page names the outage the same way.
    incident = await request.app[DATABASE].read(incident_for_fault, fault.id)
    context: dict[str, Any] = {
        "stage": stage,
        "fault": fault,
        "claim": claim,
        "reference": incident.reference if incident else None,
        "ack_field": csrf.ack_form_token(request.app[CONFIG].secret_key, token),
        "max_comment": MAX_COMMENT,
        "display_zone": await customer_zone(request, fault.customer_id),
    }
    # The URL is the credential: keep it out of any Referer header.
    return await render(
        request, "ack.html", context, status=status, headers={"Referrer-Policy": "no-referrer"}
    )


def _stage_before_acknowledging(fault: FaultView) -> str:
    if fault.acknowledged_at is not None:
        return "already"
    return "confirm" if fault.is_open else "cleared"


@signed
async def confirm_page(request: web.Request) -> web.Response:
    """GET /ack/{token}: show the fault and a confirm form. Changes nothing."""
    return await FAULT_LINK.confirm_page(request, _stage_before_acknowledging, _page)


@signed
async def acknowledge(request: web.Request) -> web.Response:
    """POST /ack/{token}: acknowledge as the link's recipient, then say thank you."""
    claim = FAULT_LINK.claim(request)
    if isinstance(claim, Refusal):
        return await refuse(request, claim)
    config, db = request.app[CONFIG], request.app[DATABASE]
    form = await request.post()
    if not csrf.ack_form_is_genuine(
        config.secret_key, request.match_info["token"], form.get(csrf.FIELD)
    ):
        return await csrf.refused(request)
    comment = form.get("comment", "")
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_COMMENT:
        return await refuse(
            request, Refusal(400, f"The comment is longer than {MAX_COMMENT} characters.")
        )
    fault = await FAULT_LINK.row(request, claim)
    if isinstance(fault, Refusal):
        return await refuse(request, fault)
    if _stage_before_acknowledging(fault) == "cleared":
        return await _page(request, "cleared", fault, claim, status=409)
    address, now = client_address(request) or "unknown", request.app[CLOCK]()
    try:
        done = await db.write(
            acknowledge_from_link,
            claim.fault_id,
            by=claim.recipient,
            comment=comment,
            address=address,
            now=now,
            config=config,
        )
    except FaultNotFound:
        return await refuse(request, NO_SUCH_FAULT)
    if done:
        log.info("fault #%d acknowledged by %s from %s", fault.id, claim.recipient, address)
    fault = await db.read(get_fault, claim.fault_id) or fault
    return await _page(request, "thanks" if done else "already", fault, claim)
