"""``/api/v1/calendar/announcements``: days announced closed or on reduced hours; list,
announce, withdraw. The work is ``collector.operations.announcements``'s, shared with the CLI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from collector.api.bodies import flag, parse_body
from collector.config.tiers import catalogue_for
from collector.engine.incident_clock import access_rules
from collector.operations import announcements as ops
from collector.store import announcements as store
from collector.store.announcements import AnnouncementRow
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from collector.web.render import rfc3339


def announcement_json(row: AnnouncementRow, changed: list[int] | None = None) -> dict[str, Any]:
    a = row.announcement
    found: dict[str, Any] = {
        "id": a.id,
        "calendar": a.calendar,
        "day": a.day.isoformat(),
        "hours": [str(h) for h in a.hours],
        "closed": a.closed,
        "reason": a.reason,
        "announced_by": row.announced_by,
        "announced_at": rfc3339(row.announced_at),
        "withdrawn_at": rfc3339(row.withdrawn_at),
        "withdrawn_by": row.withdrawn_by,
    }
    if changed is not None:
        found["incidents_recalculated"] = changed
    return found


async def list_announcements(request: web.Request, _operator: Operator) -> web.Response:
    everything = bool(flag(request, "all"))
    rows = await request.app[DATABASE].read(store.listing, include_withdrawn=everything)
    return web.json_response([announcement_json(row) for row in rows])


async def post_announcement(request: web.Request, operator: Operator) -> web.Response:
    body = await parse_body(request, ops.NewAnnouncement)
    config = request.app[CONFIG]
    try:
        row, changed = await request.app[DATABASE].write(
            ops.announce,
            body,
            by=operator.username,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(config),
            rules=access_rules(config),
        )
    except ops.AnnouncementRefused as exc:
        raise refuse(400, str(exc), field=exc.field) from None
    return web.json_response(announcement_json(row, changed), status=201)


async def post_withdraw(request: web.Request, operator: Operator) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise refuse(404, f"no announcement {raw!r}")
    config = request.app[CONFIG]
    try:
        row, changed = await request.app[DATABASE].write(
            ops.withdraw,
            int(raw),
            by=operator.username,
            now=request.app[CLOCK](),
            catalogue=catalogue_for(config),
            rules=access_rules(config),
        )
    except ops.AnnouncementNotFound as exc:
        raise refuse(404, str(exc)) from None
    except ops.AnnouncementRefused as exc:
        raise refuse(409, str(exc)) from None
    return web.json_response(announcement_json(row, changed))
