"""People through the JSON API: customer users (operators add them, invited by mail), the
audit log (admins), and operators' comments on incidents (internal, or public and mailed)."""

from __future__ import annotations

from aiohttp import web

from collector.api.bodies import limit, parse_body
from collector.operations.accounts import NewCustomerUser, invite_user
from collector.operations.audit_query import BadFilter, audit_filter
from collector.operations.signin import Account
from collector.operations.tickets import NewComment, NotTheirs, comment
from collector.store import customer_users, inventory
from collector.store.audit import entries
from collector.store.operators import Operator
from collector.web.access import self_audited
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.client import client_address
from collector.web.errors import refuse
from collector.web.ids import unstorable

MAX_ID = 2**31 - 1


def _account(operator: Operator) -> Account:
    return Account("operator", operator.id, operator.username, operator.role)


async def list_users(request: web.Request, _operator: Operator) -> web.Response:
    users = await request.app[DATABASE].read(
        customer_users.list_users, request.query.get("customer") or None
    )
    return web.json_response([u.to_json() for u in users])


@self_audited
async def post_user(request: web.Request, operator: Operator) -> web.Response:
    body = await parse_body(request, NewCustomerUser)
    try:
        user = await request.app[DATABASE].write(
            invite_user,
            body,
            by=f"operator:{operator.username}",
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except inventory.NotFound as exc:
        raise refuse(404, str(exc), field="customer_id") from None
    except inventory.AlreadyExists as exc:
        raise refuse(409, str(exc), field="email") from None
    return web.json_response(user.to_json(), status=201)


async def list_audit(request: web.Request, operator: Operator) -> web.Response:
    if not operator.is_admin:
        raise refuse(403, "the audit log is for admins")
    for name in ("since", "until"):  # a form may leave a day empty; the API names one or none
        if request.query.get(name) == "":
            raise refuse(400, f"{name} must be a day, YYYY-MM-DD", field=name)
    try:
        wanted = audit_filter(request.query, limit(request, default=200, maximum=5000))
    except BadFilter as exc:
        raise refuse(400, str(exc), field=exc.field) from None
    if any(unstorable(request.query.get(name, "")) for name in ("actor", "action", "customer")):
        # Matches no entry; and PostgreSQL would refuse even to compare a NUL.
        return web.json_response([])
    found = await request.app[DATABASE].read(entries, wanted)
    return web.json_response([e.to_json() for e in found])


@self_audited
async def post_incident_comment(request: web.Request, operator: Operator) -> web.Response:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise refuse(404, f"no incident {raw!r}")
    body = await parse_body(request, NewComment)
    try:
        incident = await request.app[DATABASE].write(
            comment,
            _account(operator),
            int(raw),
            body,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotTheirs:
        raise refuse(404, f"no incident #{raw}") from None
    return web.json_response(
        {"incident_id": incident.id, "public": body.public, "mailed_to_customer": body.public},
        status=201,
    )
