"""Jinja2 rendering for every dashboard page: autoescaped, with the security headers set once."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from collector.domain.stored_times import split_stored_times
from collector.operations.incidents import status_words
from collector.operations.maintenance import describe_recurrence
from collector.web.access_log import HIDDEN, redact
from collector.web.appkeys import CLOCK
from dashboard import sessions, timefmt
from dashboard.live import LIVE
from dashboard.zones import zone_for

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

#: Pages carry forms that change things: no framing (clickjacking), no foreign scripts or styles
#: (the one script is our own static/live.js, which keeps operator pages current).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_URL = re.compile(r"https?://[^\s<>\"']+")


def mail_body(text: str, public_url: str) -> Markup:
    """A mail body as operators may read it: escaped, its one-time links hidden, and the
    collector's own other URLs (incident and portal pages) made links.

    An ack or password link is the customer's credential: whoever reads it can acknowledge as
    them, or set their password. It is hidden by the access log's ``redact``, for every role.
    Fault details quote what agents sent; a URL in there is not ours and stays plain text.
    """
    text = redact(text)
    prefix, out, last = public_url.rstrip("/") + "/", [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        if url.startswith(prefix) and HIDDEN not in url:
            out.append(Markup('<a class="mail-link" href="{0}">{0}</a>').format(url))
        else:
            out.append(escape(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = timefmt.utc
    env.filters["local"] = _local
    env.filters["local_words"] = _local_words
    env.filters["ago"] = timefmt.ago
    env.filters["due"] = timefmt.due
    env.filters["mail_body"] = mail_body
    env.filters["recurrence"] = describe_recurrence
    env.filters["status_words"] = status_words
    return env


@jinja2.pass_context
def _local(
    context: jinja2.runtime.Context, moment: datetime | None, zone: str | None = None
) -> Markup:
    """A time in ``zone`` (a customer's), else the page's display zone (the signed-in
    person's), as a ``<time>`` that shows UTC when pointed at."""
    shown = timefmt.local(moment, zone or context.get("display_zone", "UTC"))
    if moment is None:
        return Markup('<span class="muted">{}</span>').format(shown)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), timefmt.utc(moment), shown
    )


@jinja2.pass_context
def _local_words(context: jinja2.runtime.Context, words: str, zone: str | None = None) -> Markup:
    """Stored words (a timeline entry's), escaped, with each UTC time they name shown as
    ``local`` shows times: the words were written at the event, the reader reads them now."""
    return Markup("").join(
        escape(piece) if isinstance(piece, str) else _local(context, piece, zone)
        for piece in split_stored_times(words)
    )


ENVIRONMENT = _environment()


async def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Render ``template`` with the operator, CSRF token and ``now`` every page may use."""
    session = sessions.current_session(request)
    operator = await sessions.current_operator(request)
    account = await sessions.current_account(request)
    page: dict[str, Any] = {
        "now": request.app[CLOCK](),
        "operator": operator,
        "customer_user": account if account and account.customer_id else None,
        "csrf_token": session.csrf_token if session else "",
        "path": request.path,
        "display_zone": await zone_for(request, account),
        # Read before the page's own facts: a change in between refreshes it, never hides.
        "live_marker": await request.app[LIVE].marker() if operator else "",
    }
    page.update(context or {})
    html = ENVIRONMENT.get_template(template).render(page)
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers.update(SECURITY_HEADERS)
    response.headers.update(headers or {})
    return response
