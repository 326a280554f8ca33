"""The audit log for admins: who did what, when, from where; filtered by person, action,
customer and day."""

from __future__ import annotations

from aiohttp import web

from collector.operations.audit_query import BadFilter, audit_filter
from collector.store.audit import entries
from collector.web.appkeys import DATABASE
from dashboard.render import render
from dashboard.sessions import require_admin

PAGE = 500


@require_admin
async def audit_page(request: web.Request) -> web.Response:
    query = dict(request.query)
    try:
        wanted = audit_filter(query, PAGE)
    except BadFilter as exc:
        context = {"title": "Filter not understood", "message": f"{exc}."}
        return await render(request, "error.html", context, status=400)
    found = await request.app[DATABASE].read(entries, wanted)
    return await render(request, "audit.html", {"entries": found, "query": query, "page": PAGE})
