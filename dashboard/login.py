"""Operator login and logout."""

from __future__ import annotations

from typing import TypeGuard

from aiohttp import web

from collector.store.operators import check_password
from collector.web.appkeys import CLOCK, DATABASE
from dashboard import csrf, sessions
from dashboard.render import render

#: Longer than any real name or password; stops a huge field from costing an argon2 run.
MAX_FIELD = 1000


async def login_page(request: web.Request) -> web.Response:
    if await sessions.current_operator(request) is not None:
        raise web.HTTPSeeOther(sessions.safe_next(request.query.get("next")))
    next_path = sessions.safe_next(request.query.get("next"))
    return await _login_form(request, next_path, error=None, status=200)


async def _login_form(
    request: web.Request, next_path: str, *, error: str | None, status: int
) -> web.Response:
    session, is_new = sessions.ensure_session(request)
    context = {"error": error, "next": next_path}
    response = await render(request, "login.html", context, status=status)
    if is_new:
        sessions.save_session(response, request, session)
    return response


def _plausible(field: object) -> TypeGuard[str]:
    return isinstance(field, str) and 0 < len(field) <= MAX_FIELD


@csrf.protect
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = form.get("username"), form.get("password")
    operator = None
    if _plausible(username) and _plausible(password):
        operator = await request.app[DATABASE].read(check_password, username, password)
    target = form.get("next")
    next_path = sessions.safe_next(target if isinstance(target, str) else None)
    if operator is None:
        error = "Wrong username or password."
        return await _login_form(request, next_path, error=error, status=401)
    # A new session (and CSRF token) on login: a token planted before login is worthless after.
    session = sessions.new_session(request.app[CLOCK](), operator)
    response = web.HTTPSeeOther(next_path)
    sessions.save_session(response, request, session)
    raise response


@csrf.protect
async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/login")
    sessions.clear_session(response, request)
    raise response
