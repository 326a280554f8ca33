"""Operators' changes into the audit log, recorded at one boundary for every route.

A change made through an operator's route (a form post or a JSON API call that succeeded) is
recorded with who made it, from where, the route and the fields sent, whatever the route; a
route added later is recorded without anyone remembering to. Customers' actions, sign-ins and
account changes are recorded by their operations with what they changed, so they are not
recorded twice here. Field names that speak of secrets are dropped (``collector.store.audit``)
and the CSRF field is not kept.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from collector.store import audit
from collector.web.access import ACTOR, Access, access_of, is_self_audited
from collector.web.appkeys import CLOCK, DATABASE
from collector.web.client import client_address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_RECORDED = (Access.OPERATOR, Access.ADMIN)
_NOT_KEPT = {"csrf_token"}


async def _fields(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    try:
        form = await request.post()
    except (ValueError, KeyError, AssertionError):  # e.g. multipart without its boundary
        return {}
    return {k: v for k, v in form.items() if k not in _NOT_KEPT and isinstance(v, str)}


async def _record(request: web.Request) -> None:
    route = request.match_info.route
    template = route.resource.canonical if route.resource else request.path
    await request.app[DATABASE].write(
        audit.record,
        at=request.app[CLOCK](),
        actor=request[ACTOR],
        action=f"{request.method} {template}",
        target=request.path,
        address=client_address(request),
        detail=await _fields(request),
    )


@web.middleware
async def audit_trail(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        # The dashboard answers a successful form with a redirect, raised.
        if exc.status < 400 and _wanted(request):
            await _record(request)
        raise
    if response.status < 400 and _wanted(request):
        await _record(request)
    return response


def _wanted(request: web.Request) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS") or ACTOR not in request:
        return False
    handler = request.match_info.handler
    return access_of(handler) in _RECORDED and not is_self_audited(handler)
