"""What the pages behind a link sent by mail or page share: the link is the credential, GET only
shows what it names and asks, POST acts (see ``dashboard.ack`` and ``dashboard.paging_views``).

A link that cannot be used is refused with a page saying why: 400 when the token is not shaped
like a link, 403 when forged or altered (or signed for another purpose), 410 when expired, and
the link kind's own refusal (404) when what it names no longer exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from aiohttp import web
from sqlalchemy import Connection

from collector.notify.links import InvalidLink
from collector.security.tokens import well_formed
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.render import render

ClaimT = TypeVar("ClaimT")
RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


async def refuse(request: web.Request, refusal: Refusal) -> web.Response:
    context = {"title": "Cannot acknowledge", "message": refusal.message}
    return await render(request, "error.html", context, status=refusal.status)


@dataclass(frozen=True)
class LinkKind(Generic[ClaimT, RowT]):
    """One kind of link: how its token is read, and how the row it names is found."""

    read_token: Callable[[str, str, datetime], ClaimT]
    fetch: Callable[[Connection, ClaimT], RowT | None]
    missing: Refusal

    def claim(self, request: web.Request) -> ClaimT | Refusal:
        """The claim of the link in the URL, or why it cannot be used."""
        secret, token = request.app[CONFIG].secret_key, request.match_info["token"]
        try:
            return self.read_token(secret, token, request.app[CLOCK]())
        except InvalidLink as exc:
            return Refusal(410 if exc.expired else 403 if well_formed(token) else 400, str(exc))

    async def row(self, request: web.Request, claim: ClaimT) -> RowT | Refusal:
        found = await request.app[DATABASE].read(self.fetch, claim)
        return self.missing if found is None else found

    async def confirm_page(
        self,
        request: web.Request,
        stage: Callable[[RowT], str],
        page: Callable[[web.Request, str, RowT, ClaimT], Awaitable[web.Response]],
    ) -> web.Response:
        """GET: what the link names, at its ``stage``, with a confirm form. Changes nothing."""
        claim = self.claim(request)
        if isinstance(claim, Refusal):
            return await refuse(request, claim)
        found = await self.row(request, claim)
        if isinstance(found, Refusal):
            return await refuse(request, found)
        return await page(request, stage(found), found, claim)
