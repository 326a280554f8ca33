"""Signing in and out, for operators and customer users alike.

An operator signs in with their user name, a customer user with their email address; an
operator lands on the overview, a customer user in the portal. The password is checked in
the hashing pool (never on a database thread), after the throttle
(``collector.operations.signin``) has had its say.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from aiohttp import web

from collector.operations import signin
from collector.security.passwords import HashingBusy
from collector.security.totp import matching_step
from collector.web.access import own_account, public
from collector.web.appkeys import CLOCK, CONFIG, DATABASE, HASHING
from dashboard import csrf, sessions
from dashboard.render import render

#: Longer than any real name or password; stops a huge field from costing an argon2 run.
MAX_FIELD = 1000
#: The same words whatever was wrong (name, password, or an operator's code): no hint which.
WRONG = "Wrong username or password."


@public
async def login_page(request: web.Request) -> web.Response:
    if await sessions.current_account(request) is not None:
        raise web.HTTPSeeOther(sessions.safe_next(request.query.get("next")))
    next_path = sessions.safe_next(request.query.get("next"))
    return await _login_form(request, next_path, error=None, status=200)


async def _login_form(
    request: web.Request,
    next_path: str,
    *,
    error: str | None,
    status: int,
    headers: dict[str, str] | None = None,
) -> web.Response:
    session, is_new = sessions.ensure_session(request)
    context = {"error": error, "next": next_path}
    response = await render(request, "login.html", context, status=status, headers=headers)
    if is_new:
        sessions.save_session(response, request, session)
    return response


def _plausible(field: object) -> TypeGuard[str]:
    return isinstance(field, str) and 0 < len(field) <= MAX_FIELD


def _blocked_message(until: datetime) -> str:
    return (
        "Too many failed sign-ins: signing in is blocked for this account or address until "
        f"{until:%H:%M} UTC ({until:%Y-%m-%d}). The account's owner has been told by mail."
    )


@public
@csrf.protect
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name, password, code = form.get("username"), form.get("password"), form.get("code")
    target = form.get("next")
    next_path = sessions.safe_next(target if isinstance(target, str) else None)
    if not (_plausible(name) and _plausible(password)):
        return await _login_form(request, next_path, error=WRONG, status=401)
    name = name.strip()
    db, now, address = request.app[DATABASE], request.app[CLOCK](), sessions.client_address(request)
    until = await db.read(signin.blocked_until, name, address, now)
    if until is not None:
        retry = {"Retry-After": str(max(int((until - now).total_seconds()), 1))}
        return await _login_form(
            request, next_path, error=_blocked_message(until), status=429, headers=retry
        )
    candidate = await db.read(signin.candidate, name)
    try:
        matches = await request.app[HASHING].matches(candidate.password_hash, password)
    except HashingBusy as exc:
        return await _login_form(
            request, next_path, error=f"{exc}.", status=429, headers={"Retry-After": "1"}
        )
    who = candidate.account
    step = matching_step(who.totp_secret, code, now) if who and who.totp_secret else None
    second_factor_ok = who is None or who.totp_secret is None or step is not None
    secret = None
    if matches and who is not None and second_factor_ok:
        secret = await db.write(signin.succeeded, who, address, now, step)
    if who is None or secret is None:  # wrong password, wrong code, or a code already used
        locked = await db.write(signin.failed, name, address, now, request.app[CONFIG])
        error = _blocked_message(locked) if locked else WRONG
        return await _login_form(request, next_path, error=error, status=401)
    if who.customer_id is not None and not next_path.startswith("/portal/"):
        next_path = "/portal/"
    # A new session (and CSRF token) on login: a token planted before login is worthless after.
    response = web.HTTPSeeOther(next_path)
    sessions.save_session(response, request, sessions.new_session(now, secret))
    raise response


@own_account
@csrf.protect
async def logout(request: web.Request) -> web.StreamResponse:
    session = sessions.current_session(request)
    who = await sessions.current_account(request)
    if session is not None and session.secret is not None and who is not None:
        now, address = request.app[CLOCK](), sessions.client_address(request)
        await request.app[DATABASE].write(signin.signed_out, session.secret, who, address, now)
    response = web.HTTPSeeOther("/login")
    sessions.clear_session(response, request)
    raise response


@own_account
@csrf.protect
async def end_all_sessions(request: web.Request) -> web.StreamResponse:
    """Sign out everywhere: every session of the signed-in account ends, this one included."""
    who = await sessions.current_account(request)
    if who is None:
        raise web.HTTPSeeOther("/login")
    now, address = request.app[CLOCK](), sessions.client_address(request)
    await request.app[DATABASE].write(signin.end_all_sessions, who, who, address, now)
    response = web.HTTPSeeOther("/login")
    sessions.clear_session(response, request)
    raise response
