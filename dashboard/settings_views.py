"""An operator's own settings: the time zone every page shows their times in (UTC on hover).

Empty means the vendor's zone (``dashboard.timezone``), so an operator who never chose one
follows the configuration when it changes.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from aiohttp import web

from collector.store import operators
from collector.web.appkeys import CONFIG, DATABASE
from dashboard import csrf
from dashboard.render import render
from dashboard.sessions import logged_in_operator, require_operator

_ZONES = sorted(available_timezones())


async def _page(
    request: web.Request, error: str | None = None, entered: str | None = None, status: int = 200
) -> web.Response:
    operator = logged_in_operator(request)
    context = {
        "own_zone": operator.timezone if entered is None else entered,
        "vendor_zone": request.app[CONFIG].dashboard.timezone,
        "zones": _ZONES,
        "error": error,
        "request_saved": request.query.get("saved") == "1" and error is None,
    }
    return await render(request, "settings.html", context, status=status)


@require_operator
async def settings_page(request: web.Request) -> web.Response:
    return await _page(request)


@require_operator
@csrf.protect
async def save_settings(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    zone = str(form.get("timezone") or "").strip() or None
    operator = logged_in_operator(request)
    try:
        await request.app[DATABASE].write(operators.set_timezone, operator.username, zone)
    except ValueError as exc:
        return await _page(request, f"{exc}.", entered=zone, status=400)
    raise web.HTTPSeeOther("/settings?saved=1")
