"""The announced-days page: days announced closed or on reduced hours, announcing one,
withdrawing one. The form is checked by the JSON API's body model and stored by the same
operation, so the page refuses what the API refuses."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import Connection

from collector.config.tiers import catalogue_for
from collector.engine.incident_clock import access_rules
from collector.operations import announcements as ops
from collector.store import announcements as store
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard import csrf
from dashboard.render import render
from dashboard.sessions import logged_in_operator, require_operator

_FIELDS = ("calendar", "day", "hours", "reason")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/calendar", calendar_page)
    router.add_post("/calendar", announce)
    router.add_post("/calendar/{announcement_id}/withdraw", withdraw)


def _facts(conn: Connection) -> dict[str, Any]:
    return {"announcements": store.listing(conn, include_withdrawn=True)}


async def _page(
    request: web.Request, form: dict[str, str], error: str | None = None
) -> web.Response:
    facts = await request.app[DATABASE].read(_facts)
    calendars = sorted(ops.known_calendars(catalogue_for(request.app[CONFIG])))
    facts.update(form=form, error=error, calendars=calendars)
    return await render(request, "calendar.html", facts, status=400 if error else 200)


@require_operator
async def calendar_page(request: web.Request) -> web.Response:
    return await _page(request, {})


@require_operator
@csrf.protect
async def announce(request: web.Request) -> web.Response:
    posted = await request.post()
    form = {
        name: str(posted.get(name, "")).strip() for name in ("calendar", "day", "hours", "reason")
    }
    hours = [part.strip() for part in form["hours"].split(",") if part.strip()]
    config = request.app[CONFIG]
    try:
        body = ops.NewAnnouncement.model_validate({**form, "hours": hours})
        await request.app[DATABASE].write(
            ops.announce,
            body,
            by=logged_in_operator(request).username,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(config),
            rules=access_rules(config),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return await _page(request, form, f"{where}: {first['msg'].removeprefix('Value error, ')}")
    except ops.AnnouncementRefused as exc:
        return await _page(request, form, str(exc))
    raise web.HTTPSeeOther("/calendar")


@require_operator
@csrf.protect
async def withdraw(request: web.Request) -> web.Response:
    raw = request.match_info["announcement_id"]
    config = request.app[CONFIG]
    try:
        if not raw.isdigit():
            raise ops.AnnouncementNotFound(f"no announcement {raw!r}")
        await request.app[DATABASE].write(
            ops.withdraw,
            int(raw),
            by=logged_in_operator(request).username,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(config),
            rules=access_rules(config),
        )
    except ops.AnnouncementNotFound as exc:
        context = {"title": "No such announcement", "message": str(exc)}
        return await render(request, "error.html", context, status=404)
    except ops.AnnouncementRefused:
        pass  # withdrawn already (a second click): the list shows by whom
    raise web.HTTPSeeOther("/calendar")
