"""A graph's data for the dashboard's pages: one figure of one host over a named range.

``graphs.js`` fetches it for each graph a page draws (``templates/graphs.html``). Operators
see every host; a page for customers would check the host is theirs before the same call.
"""

from __future__ import annotations

from aiohttp import web

from collector.operations.figures import RANGES, SeriesQuery, UnknownMetric, graph_json
from collector.store.inventory import NotFound
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from dashboard.sessions import require_operator


def range_name(request: web.Request) -> str:
    """The ``range`` query parameter (``24h`` when absent); a 400 for one not offered."""
    name = request.query.get("range", "24h")
    if name not in RANGES:
        raise refuse(400, f"range must be one of {', '.join(RANGES)}", field="range")
    return name


@require_operator
async def host_series(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    metric = request.query.get("metric", "")
    if not metric:
        raise refuse(400, "metric is required", field="metric")
    start = now - RANGES[range_name(request)]
    query = SeriesQuery(request.match_info["host_id"], metric, start, now)
    history = request.app[CONFIG].history
    try:
        body = await request.app[DATABASE].read(graph_json, query, now, history)
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    except UnknownMetric as exc:
        raise refuse(404, str(exc), field="metric") from None
    return web.json_response(body, headers={"Cache-Control": "no-store"})
