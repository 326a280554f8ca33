"""Operator sessions in a signed cookie: nothing stored server-side.

The cookie is a token signed for sessions alone (``collector.security.tokens``), so an
acknowledgement link can never pass as a session or the reverse. Visitors who are not logged in
get an anonymous session too: it carries the CSRF token that protects the login form itself.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web

from collector.security import tokens
from collector.security.tokens import Purpose
from collector.store.operators import Operator, get_operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE

COOKIE = "faultdesk_session"
#: A working day and then some; after that the operator logs in again.
SESSION_TTL = timedelta(hours=12)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Session:
    csrf_token: str
    expires_at: datetime
    operator_id: int | None = None
    username: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.operator_id is not None


_SESSION = web.RequestKey("dashboard_session", Session)
_OPERATOR = web.RequestKey("dashboard_operator", Operator)


def new_session(now: datetime, operator: Operator | None = None) -> Session:
    """A fresh session with a fresh CSRF token (logging in always starts a new one)."""
    return Session(
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + SESSION_TTL,
        operator_id=operator.id if operator else None,
        username=operator.username if operator else None,
    )


def encode(secret: str, session: Session) -> str:
    claim = {"c": session.csrf_token, "o": session.operator_id, "u": session.username}
    return tokens.issue(secret, Purpose.SESSION, claim, session.expires_at)


def decode(secret: str, value: str, now: datetime) -> Session | None:
    """The session in a cookie value, or None if it is forged, altered, malformed or expired."""
    try:
        claim, expires_at = tokens.verify_until(secret, Purpose.SESSION, value, now)
        return Session(
            csrf_token=str(claim["c"]),
            expires_at=expires_at,
            operator_id=None if claim["o"] is None else int(claim["o"]),
            username=None if claim["u"] is None else str(claim["u"]),
        )
    except (tokens.InvalidToken, KeyError, TypeError, ValueError):
        return None


def current_session(request: web.Request) -> Session | None:
    """The request's valid session, read from its cookie once per request."""
    if _SESSION not in request:
        value = request.cookies.get(COOKIE)
        app = request.app
        session = decode(app[CONFIG].secret_key, value, app[CLOCK]()) if value else None
        if session is None:
            return None
        request[_SESSION] = session
    return request[_SESSION]


def save_session(response: web.StreamResponse, request: web.Request, session: Session) -> None:
    """Set the cookie: HttpOnly (no script reads it), SameSite=Lax, Secure unless configured off."""
    config = request.app[CONFIG]
    max_age = int((session.expires_at - request.app[CLOCK]()).total_seconds())
    response.set_cookie(
        COOKIE,
        encode(config.secret_key, session),
        max_age=max(max_age, 0),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=config.http.secure_cookies,
    )
    request[_SESSION] = session


def clear_session(response: web.StreamResponse, request: web.Request) -> None:
    config = request.app[CONFIG]
    response.del_cookie(
        COOKIE, path="/", secure=config.http.secure_cookies, httponly=True, samesite="Lax"
    )


def ensure_session(request: web.Request) -> tuple[Session, bool]:
    """The current session, or a new anonymous one; True when it is new and must be saved."""
    session = current_session(request)
    if session is not None:
        return session, False
    session = new_session(request.app[CLOCK]())
    request[_SESSION] = session
    return session, True


async def current_operator(request: web.Request) -> Operator | None:
    """The logged-in operator; checked against the database so a removed account loses access."""
    if _OPERATOR in request:
        return request[_OPERATOR]
    session = current_session(request)
    if session is None or session.operator_id is None:
        return None
    operator = await request.app[DATABASE].read(get_operator, session.operator_id)
    if operator is not None:
        request[_OPERATOR] = operator
    return operator


def logged_in_operator(request: web.Request) -> Operator:
    """The operator of a request that passed ``require_operator``."""
    return request[_OPERATOR]


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login: ``//evil.example`` and URLs are not."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def require_operator(handler: Handler) -> Handler:
    """Wrap an operator page: anyone not logged in is sent to the login form and back."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if await current_operator(request) is None:
            next_path = request.path_qs if request.method == "GET" else "/"
            raise web.HTTPSeeOther(f"/login?next={quote(next_path, safe='/')}")
        return await handler(request)

    return wrapper
