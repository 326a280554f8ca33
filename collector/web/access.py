"""Every route's access rule, carried by its handler, so a route added without one is noticed.

The wrappers that authenticate (the JSON API's bearer tokens, the dashboard's sessions) mark
the handler they return; a route that needs no account says so with ``public``. The isolation
test walks the application's router and fails on a handler with no mark.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., object])

_ATTRIBUTE = "faultdesk_access"


class Access(StrEnum):
    #: Anyone: health, metrics, the login form, assets. Shows no customer's data.
    PUBLIC = "public"
    #: A signed link or an agent's signed report: the token is the authority.
    SIGNED = "signed"
    #: Any signed-in person acting on their own account (logout, sign out everywhere).
    SELF = "self"
    #: Operators (and admins); a customer user gets 404.
    OPERATOR = "operator"
    #: Admins only: operators, tokens, the audit log.
    ADMIN = "admin"
    #: Customer users, every query narrowed to the session's or token's customer.
    CUSTOMER = "customer"


def mark(handler: H, access: Access) -> H:
    setattr(handler, _ATTRIBUTE, access)
    return handler


def access_of(handler: object) -> Access | None:
    found = getattr(handler, _ATTRIBUTE, None)
    return found if isinstance(found, Access) else None


def public(handler: H) -> H:
    """A route that needs no account and shows no customer's data."""
    return mark(handler, Access.PUBLIC)


def signed(handler: H) -> H:
    """A route whose authority is a signed token in the request (ack links, agent reports)."""
    return mark(handler, Access.SIGNED)


def own_account(handler: H) -> H:
    """A route a signed-in person uses on their own account alone (logout)."""
    return mark(handler, Access.SELF)


#: Who is acting, set by the authenticating wrapper: "operator:olga", "customer:pat@...".
ACTOR = web.RequestKey("faultdesk_actor", str)


_SELF_AUDITED = "faultdesk_self_audited"


def self_audited(handler: H) -> H:
    """The handler's operation records what it changed in the audit log itself, in more
    words than the boundary would (``collector.web.audit_trail`` leaves it alone)."""
    setattr(handler, _SELF_AUDITED, True)
    return handler


def is_self_audited(handler: object) -> bool:
    return bool(getattr(handler, _SELF_AUDITED, False))
