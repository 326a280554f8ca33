"""A graph's data for the dashboard's pages: one figure of one host over a named range.

``graphs.js`` fetches it for each graph a page draws (``templates/graphs.html``). Operators
see every host; the portal (``dashboard.portal.hosts``) checks the host is the customer's
before the same call.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from collector.operations.figures import RANGES, SeriesQuery, UnknownMetric, graph_json
from collector.store.inventory import NotFound
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from dashboard.figure_views import unit
from dashboard.sessions import require_operator


def range_name(request: web.Request) -> str:
    """The ``range`` query parameter (``24h`` when absent); a 400 for one not offered."""
    name = request.query.get("range", "24h")
    if name not in RANGES:
        raise refuse(400, f"range must be one of {', '.join(RANGES)}", field="range")
    return name


def graph_choices(request: web.Request) -> dict[str, Any]:
    """What a page drawing graphs needs: the range shown (``?range=``), the ranges offered,
    the unit of each figure, and how long raw figures are kept."""
    # A range the page does not offer (a hand-edited URL) shows the default rather than an error.
    asked = request.query.get("range", "24h")
    return {
        "range": asked if asked in RANGES else "24h",
        "ranges": list(RANGES),
        "unit": unit,
        "raw_hours": request.app[CONFIG].history.raw_retention_hours,
    }


async def graph_response(request: web.Request, host_id: str) -> web.Response:
    """The graph's JSON for ``host_id``; the caller has decided the asker may see the host."""
    now = request.app[CLOCK]()
    metric = request.query.get("metric", "")
    if not metric:
        raise refuse(400, "metric is required", field="metric")
    start = now - RANGES[range_name(request)]
    query = SeriesQuery(host_id, metric, start, now)
    history = request.app[CONFIG].history
    try:
        body = await request.app[DATABASE].read(graph_json, query, now, history)
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    except UnknownMetric as exc:
        raise refuse(404, str(exc), field="metric") from None
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@require_operator
async def host_series(request: web.Request) -> web.Response:
    return await graph_response(request, request.match_info["host_id"])
