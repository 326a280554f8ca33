"""Operators' page for customer users: who has portal access, and inviting someone (they are
mailed a single-use link to choose a password)."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from collector.operations import signin
from collector.operations.accounts import NewCustomerUser, invite_user
from collector.store import customer_users, inventory
from collector.store.inventory import AlreadyExists, NotFound
from collector.web.access import self_audited
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard import csrf
from dashboard.render import render
from dashboard.sessions import client_address, logged_in_account, require_operator


async def _page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    db = request.app[DATABASE]
    context = {
        "users": await db.read(customer_users.list_users),
        "customers": await db.read(inventory.list_customers),
        "error": error,
        "roles": customer_users.ROLES,
    }
    return await render(request, "users.html", context, status=status)


@require_operator
async def users_page(request: web.Request) -> web.Response:
    return await _page(request)


@require_operator
@self_audited
@csrf.protect
async def invite(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = {k: form.get(k) for k in ("email", "customer_id", "role")}
    try:
        body = NewCustomerUser.model_validate(fields)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return await _page(request, f"Check the {where}: {exc.errors()[0]['msg']}.", 400)
    try:
        await request.app[DATABASE].write(
            invite_user,
            body,
            by=logged_in_account(request).actor,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotFound as exc:
        return await _page(request, f"{exc}.", 404)
    except AlreadyExists as exc:
        return await _page(request, f"{exc}.", 409)
    raise web.HTTPSeeOther("/users")


@require_operator
@self_audited
@csrf.protect
async def end_sessions(request: web.Request) -> web.StreamResponse:
    """Sign a customer user out everywhere (a lost laptop, someone who left)."""
    raw = request.match_info["user_id"]
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 2**31 - 1:
        raise web.HTTPNotFound()
    db = request.app[DATABASE]
    whose = await db.read(signin.account, "customer", int(raw))
    if whose is None:
        raise web.HTTPNotFound()
    now, by = request.app[CLOCK](), logged_in_account(request)
    await db.write(signin.end_all_sessions, whose, by, client_address(request), now)
    raise web.HTTPSeeOther("/users")
