"""Cross-site request forgery protection for every form that changes something.

Operator forms carry the session's random token; a POST whose field does not match is refused
with 403 before the handler runs, so it changes nothing. The customer's acknowledgement page
has no session: its form field is a signature of the link's token under the collector's secret,
which a page on another site cannot compute (it knows neither the secret nor, usually, the token).
"""

from __future__ import annotations

import functools
import hmac

from aiohttp import web

from collector.security import tokens
from collector.security.tokens import Purpose
from dashboard import sessions
from dashboard.render import render
from dashboard.sessions import Handler

FIELD = "csrf_token"
STALE_FORM = (
    "This form could not be accepted: it has expired or did not come from this site. "
    "Nothing was changed. Go back, reload the page and try again."
)


async def refused(request: web.Request) -> web.Response:
    """The 403 page for a form that failed its CSRF check."""
    return await render(
        request, "error.html", {"title": "Form refused", "message": STALE_FORM}, status=403
    )


async def form_is_genuine(request: web.Request) -> bool:
    """True when the POSTed form carries this session's token."""
    session = sessions.current_session(request)
    form = await request.post()
    submitted = form.get(FIELD)
    if session is None or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(submitted.encode(), session.csrf_token.encode())


def protect(handler: Handler) -> Handler:
    """Refuse the POST with 403 unless its form carries the session's CSRF token."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if not await form_is_genuine(request):
            return await refused(request)
        return await handler(request)

    return wrapper


def ack_form_token(secret: str, link_token: str) -> str:
    """The hidden field of a customer's acknowledgement form, bound to that one link."""
    return tokens.bound_signature(secret, Purpose.ACK_FORM, link_token)


def ack_form_is_genuine(secret: str, link_token: str, submitted: object) -> bool:
    return tokens.bound_signature_matches(secret, Purpose.ACK_FORM, link_token, submitted)


def page_ack_form_token(secret: str, link_token: str) -> str:
    """The hidden field of an engineer's page-acknowledgement form, bound to that one link."""
    return tokens.bound_signature(secret, Purpose.PAGE_ACK_FORM, link_token)


def page_ack_form_is_genuine(secret: str, link_token: str, submitted: object) -> bool:
    return tokens.bound_signature_matches(secret, Purpose.PAGE_ACK_FORM, link_token, submitted)
