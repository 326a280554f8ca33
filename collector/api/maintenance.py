"""``/api/v1/maintenance``: list, create, end. Faults inside a window are recorded, not mailed.

The work is ``collector.operations.maintenance``'s, shared with the dashboard and the CLI.
"""

from __future__ import annotations

from aiohttp import web

from collector.api.bodies import flag, id_filter, parse_body
from collector.operations.maintenance import (
    NewMaintenanceWindow,
    WindowFilter,
    WindowRefused,
    create_window,
    end_window,
    find_windows,
)
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, DATABASE
from collector.web.errors import refuse
from collector.web.ids import row_id
from collector.web.render import window_json


def _refusal(exc: WindowRefused) -> web.HTTPException:
    return refuse(exc.status, str(exc), field=exc.field)


def _window_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    found = row_id(raw)
    if found is None:
        raise refuse(404, f"no maintenance window {raw!r}")
    return found


async def list_maintenance(request: web.Request, _operator: Operator) -> web.Response:
    wanted = WindowFilter(
        active=flag(request, "active"),
        customer_id=id_filter(request, "customer"),
        host_id=id_filter(request, "host"),
    )
    now = request.app[CLOCK]()
    try:
        windows = await request.app[DATABASE].read(find_windows, wanted, now)
    except WindowRefused as exc:
        raise _refusal(exc) from None
    return web.json_response([window_json(w, now) for w in windows])


async def post_maintenance(request: web.Request, operator: Operator) -> web.Response:
    body = await parse_body(request, NewMaintenanceWindow)
    now = request.app[CLOCK]()
    try:
        stored = await request.app[DATABASE].write(create_window, body, operator.username, now)
    except WindowRefused as exc:
        # A customer or host the body names that does not exist is a 404 naming the field.
        raise _refusal(exc) from None
    return web.json_response(window_json(stored, now), status=201)


async def post_end_maintenance(request: web.Request, _operator: Operator) -> web.Response:
    window_id, now = _window_id(request), request.app[CLOCK]()
    try:
        stored = await request.app[DATABASE].write(end_window, window_id, now)
    except WindowRefused as exc:
        raise _refusal(exc) from None
    return web.json_response(window_json(stored, now))
