"""Bearer-token authentication for the JSON API.

Tokens are created by ``faultdesk-collector token create``; only their SHA-256 is stored, so a
lookup is one indexed query. Every JSON API handler is wrapped here, in one place, so a new
route cannot be added without authentication by forgetting a line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from collector.operations.signin import Account
from collector.store.customer_users import user_for_token
from collector.store.operators import Operator, operator_for_token
from collector.web.access import ACTOR, Access, mark
from collector.web.appkeys import DATABASE
from collector.web.errors import refuse

OperatorHandler = Callable[[web.Request, Operator], Awaitable[web.StreamResponse]]
CustomerHandler = Callable[[web.Request, Account], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Sent with every 401 so clients know which scheme to use (RFC 6750).
CHALLENGE = 'Bearer realm="faultdesk"'


def bearer_token(header: str) -> str | None:
    """The token from an ``Authorization: Bearer <token>`` header value, if well formed."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


async def authenticate(request: web.Request) -> Operator:
    """The operator owning the request's token, or a 401 with a JSON reason."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        raise _unauthorized("missing or malformed bearer token")
    operator = await request.app[DATABASE].read(operator_for_token, token)
    if operator is None:
        if await request.app[DATABASE].read(user_for_token, token) is not None:
            # A customer's token: the operators' API does not exist for it.
            raise refuse(404, f"not found: {request.method} {request.path}")
        raise _unauthorized("unknown or revoked API token")
    return operator


async def authenticate_customer(request: web.Request) -> Account:
    """The customer user owning the request's token; 401 for none, 404 for an operator's
    token (the customers' API is theirs alone)."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        raise _unauthorized("missing or malformed bearer token")
    user = await request.app[DATABASE].read(user_for_token, token)
    if user is None:
        if await request.app[DATABASE].read(operator_for_token, token) is not None:
            raise refuse(404, f"not found: {request.method} {request.path}")
        raise _unauthorized("unknown or revoked API token")
    return Account("customer", user.id, user.email, user.role, user.customer_id)


def operator_required(handler: OperatorHandler) -> Handler:
    """Wrap ``handler(request, operator)`` as an aiohttp handler that authenticates first."""

    async def authenticated(request: web.Request) -> web.StreamResponse:
        operator = await authenticate(request)
        request[ACTOR] = f"operator:{operator.username}"
        return await handler(request, operator)

    authenticated.__name__ = handler.__name__
    authenticated.__doc__ = handler.__doc__
    authenticated.__dict__.update(handler.__dict__)
    return mark(authenticated, Access.OPERATOR)


def customer_required(handler: CustomerHandler) -> Handler:
    """Wrap ``handler(request, account)`` for the customers' API: a customer's token only."""

    async def authenticated(request: web.Request) -> web.StreamResponse:
        return await handler(request, await authenticate_customer(request))

    authenticated.__name__ = handler.__name__
    authenticated.__doc__ = handler.__doc__
    return mark(authenticated, Access.CUSTOMER)


def _unauthorized(reason: str) -> web.HTTPException:
    exc = refuse(401, reason, field="Authorization")
    exc.headers["WWW-Authenticate"] = CHALLENGE
    return exc
