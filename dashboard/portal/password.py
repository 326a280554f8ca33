"""Choosing a password through a single-use mailed link, and asking for a reset link."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from collector.operations.accounts import (
    MIN_PASSWORD,
    NewPassword,
    request_reset,
    set_password_by_link,
)
from collector.security.passwords import HashingBusy
from collector.store.password_links import LinkRefused, link_user
from collector.web.access import public, signed
from collector.web.appkeys import CLOCK, CONFIG, DATABASE, HASHING
from dashboard import csrf, sessions
from dashboard.render import render


async def _page(
    request: web.Request, template: str, context: dict[str, object], status: int = 200
) -> web.Response:
    session, is_new = sessions.ensure_session(request)
    response = await render(request, template, context, status=status)
    if is_new:
        sessions.save_session(response, request, session)
    return response


async def _refused(request: web.Request, reason: str) -> web.Response:
    context = {"title": "Link not usable", "message": reason}
    return await render(request, "error.html", context, status=410)


@signed
async def password_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        await request.app[DATABASE].read(link_user, token, request.app[CLOCK]())
    except LinkRefused as exc:
        return await _refused(request, str(exc))
    return await _page(request, "portal/password.html", {"error": None, "min": MIN_PASSWORD})


@signed
@csrf.protect
async def set_password(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    form = await request.post()
    password, again = form.get("password"), form.get("again")
    error = None
    try:
        body = NewPassword.model_validate({"password": password})
    except ValidationError:
        error = f"Choose a password of at least {MIN_PASSWORD} characters."
    if error is None and password != again:
        error = "The two passwords differ."
    if error is not None:
        context = {"error": error, "min": MIN_PASSWORD}
        return await _page(request, "portal/password.html", context, status=400)
    try:
        password_hash = await request.app[HASHING].hash(body.password)
    except HashingBusy as exc:
        context = {"error": f"{exc}.", "min": MIN_PASSWORD}
        return await _page(request, "portal/password.html", context, status=429)
    now, address = request.app[CLOCK](), sessions.client_address(request)
    try:
        await request.app[DATABASE].write(
            set_password_by_link, token, password_hash, address=address, now=now
        )
    except LinkRefused as exc:
        return await _refused(request, str(exc))
    raise web.HTTPSeeOther("/login?next=/portal/")


@public
async def reset_page(request: web.Request) -> web.Response:
    return await _page(request, "portal/reset.html", {"sent": False})


@public
@csrf.protect
async def send_reset(request: web.Request) -> web.Response:
    form = await request.post()
    email = form.get("email")
    if isinstance(email, str) and "@" in email and len(email) <= 320:
        now, address = request.app[CLOCK](), sessions.client_address(request)
        config = request.app[CONFIG]
        await request.app[DATABASE].write(
            request_reset, email.strip(), address=address, now=now, config=config
        )
    # The same answer whether or not the address is a user's: no list of users to harvest.
    return await _page(request, "portal/reset.html", {"sent": True})
