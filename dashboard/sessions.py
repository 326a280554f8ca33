"""Sessions: a signed cookie naming a session the database keeps.

The cookie is a token signed for sessions alone (``collector.security.tokens``), so an
acknowledgement link can never pass as a session or the reverse. It carries the CSRF token and,
once signed in, a random secret whose session row (``collector.store.sessions``) must still be
live on every request: logging out, a new password or "end all sessions" ends the row, and every
copy of the cookie stops working at once. Visitors who are not logged in get an anonymous
session too: it carries the CSRF token that protects the login form itself.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from collector.operations.signin import SESSION_TTL as SESSION_TTL  # the cookie lives as long
from collector.operations.signin import Account, session_account
from collector.security import tokens
from collector.security.tokens import Purpose
from collector.store.operators import Operator
from collector.web.access import ACTOR, Access, mark
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.client import client_address as address_of

COOKIE = "faultdesk_session"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Session:
    csrf_token: str
    expires_at: datetime
    #: The secret of the session's database row; None for a visitor not signed in.
    secret: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.secret is not None


_SESSION = web.RequestKey("dashboard_session", Session)
_ACCOUNT = web.RequestKey("dashboard_account", Account)


def new_session(now: datetime, secret: str | None = None) -> Session:
    """A fresh session with a fresh CSRF token (logging in always starts a new one)."""
    return Session(
        csrf_token=secrets.token_urlsafe(32), expires_at=now + SESSION_TTL, secret=secret
    )


def encode(secret: str, session: Session) -> str:
    claim = {"c": session.csrf_token, "s": session.secret}
    return tokens.issue(secret, Purpose.SESSION, claim, session.expires_at)


def decode(secret: str, value: str, now: datetime) -> Session | None:
    """The session in a cookie value, or None if it is forged, altered, malformed or expired."""
    try:
        claim, expires_at = tokens.verify_until(secret, Purpose.SESSION, value, now)
        return Session(
            csrf_token=str(claim["c"]),
            expires_at=expires_at,
            secret=None if claim["s"] is None else str(claim["s"]),
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


async def current_account(request: web.Request) -> Account | None:
    """The signed-in account, while its session row is live and the account exists."""
    if _ACCOUNT in request:
        return request[_ACCOUNT]
    session = current_session(request)
    if session is None or session.secret is None:
        return None
    now = request.app[CLOCK]()
    account = await request.app[DATABASE].read(session_account, session.secret, now)
    if account is not None:
        request[_ACCOUNT] = account
    return account


async def current_operator(request: web.Request) -> Operator | None:
    """The signed-in operator (a customer user is not one)."""
    account = await current_account(request)
    if account is None or account.kind != "operator":
        return None
    return Operator(account.id, account.name, account.role, account.totp_secret, account.timezone)


def logged_in_operator(request: web.Request) -> Operator:
    """The operator of a request that passed ``require_operator``."""
    account = request[_ACCOUNT]
    return Operator(account.id, account.name, account.role, account.totp_secret, account.timezone)


def logged_in_account(request: web.Request) -> Account:
    """The account of a request that passed ``require_operator`` or ``require_customer``."""
    return request[_ACCOUNT]


def client_address(request: web.Request) -> str:
    return address_of(request)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login: ``//evil.example`` and URLs are not."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def require_operator(handler: Handler) -> Handler:
    """Wrap an operator page: anyone not logged in is sent to the login form and back."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        account = await current_account(request)
        if account is not None and account.kind != "operator":
            if request.path == "/":
                raise web.HTTPSeeOther("/portal/")
            raise web.HTTPNotFound()  # a customer user is told nothing of operators' pages
        if account is None:
            next_path = request.path_qs if request.method == "GET" else "/"
            raise web.HTTPSeeOther(f"/login?next={quote(next_path, safe='/')}")
        request[ACTOR] = account.actor
        return await handler(request)

    return mark(wrapper, Access.OPERATOR)


def require_admin(handler: Handler) -> Handler:
    """Wrap a page only admins use (the audit log): other operators and customers get 404."""

    async def admins_only(request: web.Request) -> web.StreamResponse:
        if not logged_in_operator(request).is_admin:
            raise web.HTTPNotFound()
        return await handler(request)

    return mark(require_operator(functools.wraps(handler)(admins_only)), Access.ADMIN)


def require_customer(handler: Handler) -> Handler:
    """Wrap a portal page: only a signed-in customer user passes; anyone else signs in."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        account = await current_account(request)
        if account is not None and account.customer_id is None:
            raise web.HTTPNotFound()  # an operator has no portal of their own: no login loop
        if account is None:
            next_path = request.path_qs if request.method == "GET" else "/portal/"
            raise web.HTTPSeeOther(f"/login?next={quote(next_path, safe='/')}")
        return await handler(request)

    return mark(wrapper, Access.CUSTOMER)
