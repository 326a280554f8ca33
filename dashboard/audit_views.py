"""The audit log for admins: who did what, when, from where; filtered by person, action,
customer and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web

from collector.store.audit import AuditFilter, entries
from collector.web.appkeys import DATABASE
from dashboard.render import render
from dashboard.sessions import require_admin

PAGE = 500


def _day(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise web.HTTPBadRequest(text=f"not a day (YYYY-MM-DD): {text!r}") from None


def filter_from(query: dict[str, str]) -> AuditFilter:
    """The page's and the API's filters: actor, action, customer, since and until (days)."""
    until = _day(query.get("until"))
    return AuditFilter(
        actor=query.get("actor") or None,
        action=query.get("action") or None,
        customer_id=query.get("customer") or None,
        since=_day(query.get("since")),
        until=until + timedelta(days=1) if until else None,
        limit=PAGE,
    )


@require_admin
async def audit_page(request: web.Request) -> web.Response:
    wanted = filter_from(dict(request.query))
    found = await request.app[DATABASE].read(entries, wanted)
    return await render(
        request, "audit.html", {"entries": found, "query": dict(request.query), "page": PAGE}
    )
