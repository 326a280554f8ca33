"""``GET /api/v1/hosts/{id}/series``: one of a host's figures over a time range.

Who may read which host is decided here, by the handler; the reading itself is
``collector.operations.figures``', which the dashboard's graphs use too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from collector.domain.policy import from_iso
from collector.operations.figures import MOST_DAYS, SeriesQuery, UnknownMetric, series_json
from collector.store.inventory import NotFound
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse

#: The range when ``from`` is not given: the last day.
DEFAULT_RANGE = timedelta(hours=24)


def series_query(request: web.Request, now: datetime) -> SeriesQuery:
    """The request's host, ``metric``, ``from`` and ``to``; a 400 naming the bad one."""
    metric = request.query.get("metric", "").strip()
    if not metric:
        raise refuse(400, "metric is required, e.g. metric=cpu_percent", field="metric")
    end = _moment(request, "to") or now
    start = _moment(request, "from") or end - DEFAULT_RANGE
    if start > end:
        raise refuse(400, "from must be before to", field="from")
    if end - start > timedelta(days=MOST_DAYS):
        raise refuse(400, f"at most {MOST_DAYS} days at a time", field="from")
    return SeriesQuery(request.match_info["id"], metric, start, end)


def _moment(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        return from_iso(text)
    except ValueError:
        raise refuse(
            400, f"{name} must be an ISO 8601 time with a zone, like 2026-12-01T10:00Z", field=name
        ) from None


async def get_host_series(request: web.Request, _operator: Operator) -> web.Response:
    now = request.app[CLOCK]()
    query = series_query(request, now)
    history = request.app[CONFIG].history
    try:
        body = await request.app[DATABASE].read(series_json, query, now, history)
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    except UnknownMetric as exc:
        raise refuse(404, str(exc), field="metric") from None
    return web.json_response(body)
