"""A customer's own host through the customers' API: its state with the latest figures, and
one figure over a time range, as the portal's host page and graphs show them.

Whose host it is comes first, on every request: another customer's host answers 404 before
anything in the query is looked at, exactly as a host that does not exist. The reading is
``collector.operations.figures``', the operators' API's and the graphs' own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.api.figures import series_query
from collector.operations import customer_scope as scope
from collector.operations.figures import UnknownMetric, latest_json, series_json
from collector.operations.signin import Account
from collector.store.inventory import NotFound
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from collector.web.render import host_json

#: Without the id asked for, as the portal's pages answer: nothing of another customer's echoed.
NO_SUCH_HOST = "no such host"


def _customer(who: Account) -> str:
    assert who.customer_id is not None  # customer_required lets no one else in
    return who.customer_id


def host_detail(
    conn: Connection, customer_id: str, host_id: str, now: datetime, missed: int
) -> dict[str, Any] | None:
    """The host as ``GET /portal/hosts`` lists it, with ``latest``; None if not theirs."""
    row = scope.host_row(conn, customer_id, host_id, now, missed)
    if row is None:
        return None
    return {
        **host_json(row.host),
        "status": row.status,
        "open_faults": row.open_faults,
        "latest": latest_json(conn, row.host.id),
    }


async def get_host(request: web.Request, who: Account) -> web.Response:
    host_id = request.match_info["id"]
    now = request.app[CLOCK]()
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    found = await request.app[DATABASE].read(host_detail, _customer(who), host_id, now, missed)
    if found is None:
        raise refuse(404, NO_SUCH_HOST)
    return web.json_response(found)


async def get_host_series(request: web.Request, who: Account) -> web.Response:
    host_id = request.match_info["id"]
    db = request.app[DATABASE]
    if await db.read(scope.host, _customer(who), host_id) is None:
        raise refuse(404, NO_SUCH_HOST)
    now = request.app[CLOCK]()
    query = series_query(request, now)
    try:
        body = await db.read(series_json, query, now, request.app[CONFIG].history)
    except NotFound:  # removed since it was found theirs
        raise refuse(404, NO_SUCH_HOST) from None
    except UnknownMetric as exc:
        raise refuse(404, str(exc), field="metric") from None
    return web.json_response(body)
