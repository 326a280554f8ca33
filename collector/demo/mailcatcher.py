"""The demo's mail catcher: an SMTP server on loopback that keeps every message, and pages on
the collector (``/demo/inbox``) that show them with their links clickable.

It is the "customer's inbox" of the demo: the collector delivers over real SMTP (aiosmtpd
speaking the protocol on the demo's own event loop), and a newcomer clicks the ack link from
the page. Demo only: the pages need no login, so they exist only on the loopback demo.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session
from jinja2 import DictLoader, Environment
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

#: Only links back to the demo become clickable; anything else in a message stays text.
_DEMO_LINK = re.compile(r"https?://127\.0\.0\.1(?::\d{1,5})?(?:/[^\s<>\"'`]*)?")
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",  # the ack links carry tokens
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class CaughtMail:
    number: int
    received_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


class Mailbox:
    """Messages caught so far, numbered from 1; the oldest are forgotten past ``limit``."""

    def __init__(
        self, clock: Callable[[], datetime], save_dir: Path | None = None, limit: int = 1000
    ) -> None:
        self._clock = clock
        self.save_dir = save_dir
        self._limit = limit
        self._messages: list[CaughtMail] = []
        self._count = 0

    def add(self, sender: str, recipients: list[str], content: bytes) -> CaughtMail:
        self._count += 1
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        mail = CaughtMail(
            number=self._count,
            received_at=self._clock(),
            sender=sender,
            recipients=tuple(recipients),
            subject=str(parsed.get("Subject", "")).strip(),  # a folded header starts with a space
            body=part.get_content() if part is not None else "",
        )
        self._messages = [*self._messages[-(self._limit - 1) :], mail]
        if self.save_dir is not None:  # for a mail client, or a look with `less`
            self.save_dir.mkdir(parents=True, exist_ok=True)
            (self.save_dir / f"{mail.number:05d}.eml").write_bytes(content)
        return mail

    def newest_first(self) -> list[CaughtMail]:
        return self._messages[::-1]

    def get(self, number: int) -> CaughtMail | None:
        return next((m for m in self._messages if m.number == number), None)


class _Handler:
    """aiosmtpd's handler interface: accept every message into the mailbox."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        mail = self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        log.info("caught mail #%d to %s: %s", mail.number, ", ".join(mail.recipients), mail.subject)
        return "250 Message accepted for delivery"


class MailCatcher:
    """The SMTP listener; ``port=0`` picks a free port, read back from :attr:`port`."""

    def __init__(self, mailbox: Mailbox, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.mailbox = mailbox
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        handler = _Handler(self.mailbox)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname="faultdesk-demo", loop=loop), self.host, self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def linkify(text: str) -> Markup:
    """The text, escaped, with links to the demo itself made clickable."""
    out = Markup()
    position = 0
    for match in _DEMO_LINK.finditer(text):
        out += escape(text[position : match.start()])
        out += Markup('<a href="{0}">{0}</a>').format(match.group(0))
        position = match.end()
    return out + escape(text[position:])


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
{% block head %}{% endblock %}<title>{% block title %}{% endblock %} · Faultdesk demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}
td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style></head><body>
<p><a href="/">Dashboard</a> · <a href="/demo/inbox">Demo inbox</a></p>
{% block body %}{% endblock %}</body></html>"""
_INBOX = """{% extends "page" %}
{% block head %}<meta http-equiv="refresh" content="10">{% endblock %}
{% block title %}Inbox ({{ mails|length }}){% endblock %}
{% block body %}<h1>Demo inbox</h1>
<p>Every message the collector sent, as the customers and the NOC received it. Newest first;
this page refreshes itself.</p>
{% if not mails %}<p>Nothing yet: faults start a few report intervals after the demo starts.</p>
{% else %}<table><tr><th>#</th><th>received (UTC)</th><th>to</th><th>subject</th></tr>
{% for m in mails %}<tr><td>{{ m.number }}</td>
<td>{{ m.received_at.strftime("%H:%M:%S") }}</td><td>{{ m.recipients|join(", ") }}</td>
<td><a href="/demo/inbox/{{ m.number }}">{{ m.subject }}</a></td></tr>{% endfor %}
</table>{% endif %}{% endblock %}"""
_MESSAGE = """{% extends "page" %}
{% block title %}{{ mail.subject }}{% endblock %}
{% block body %}<h1>{{ mail.subject }}</h1>
<p>From: {{ mail.sender }}<br>To: {{ mail.recipients|join(", ") }}<br>
Received: {{ mail.received_at.strftime("%Y-%m-%d %H:%M:%S UTC") }}</p>
<pre>{{ linkify(mail.body) }}</pre>{% endblock %}"""
_templates = Environment(
    loader=DictLoader({"page": _PAGE, "inbox": _INBOX, "message": _MESSAGE}), autoescape=True
)

MAILBOX = web.AppKey("demo_mailbox", Mailbox)


def add_inbox_routes(app: web.Application, mailbox: Mailbox) -> None:
    """Add ``/demo/inbox`` (HTML), ``/demo/inbox.json`` and ``/demo/inbox/{number}``."""
    app[MAILBOX] = mailbox
    app.router.add_get("/demo/inbox", _inbox)
    app.router.add_get("/demo/inbox.json", _inbox_json)
    app.router.add_get(r"/demo/inbox/{number:\d+}", _message)


def _html(name: str, **context: Any) -> web.Response:
    page = _templates.get_template(name).render(linkify=linkify, **context)
    return web.Response(text=page, content_type="text/html", headers=_HEADERS)


async def _inbox(request: web.Request) -> web.Response:
    return _html("inbox", mails=request.app[MAILBOX].newest_first())


async def _inbox_json(request: web.Request) -> web.Response:
    mails = [
        {
            "number": m.number,
            "received_at": m.received_at.isoformat(),
            "from": m.sender,
            "to": list(m.recipients),
            "subject": m.subject,
            "body": m.body,
        }
        for m in request.app[MAILBOX].newest_first()
    ]
    return web.json_response({"messages": mails}, headers=_HEADERS)


async def _message(request: web.Request) -> web.Response:
    mail = request.app[MAILBOX].get(int(request.match_info["number"]))
    if mail is None:
        raise web.HTTPNotFound(text="no such message (the inbox keeps the latest 1000)")
    return _html("message", mail=mail)
