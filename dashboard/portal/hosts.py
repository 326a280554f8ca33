"""A customer's host in the portal: its state, latest figures and history graphs (the
operators' graphs, from the same data), its faults and maintenance, and for a phone system
watched over SNMP its alarm level and timeline. The host id in the URL is checked against the
session's customer on every request, the graphs' data included: another customer's host
answers 404 exactly as a missing one does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.operations import customer_scope as scope
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from dashboard.figure_views import host_figures
from dashboard.graph_views import graph_choices, graph_response
from dashboard.host_views import alarm_words, snmp_facts
from dashboard.render import render
from dashboard.sessions import logged_in_account, require_customer

#: A screenful of the host's faults; the faults page has the rest.
FAULTS = 20


def _customer_id(request: web.Request) -> str:
    customer_id = logged_in_account(request).customer_id
    assert customer_id is not None  # require_customer let only a customer user in
    return customer_id


def host_facts(
    conn: Connection, customer_id: str, host_id: str, now: datetime, missed: int
) -> dict[str, Any] | None:
    """Everything on the page, read in one transaction; None for a host not theirs."""
    row = scope.host_row(conn, customer_id, host_id, now, missed)
    if row is None:
        return None
    windows = scope.upcoming_maintenance(conn, customer_id, now)
    return {
        **host_figures(conn, host_id),
        **snmp_facts(conn, host_id),
        "row": row,
        "faults": scope.faults(conn, customer_id, open_only=False, host_id=host_id, limit=FAULTS),
        "maintenance": [w for w in windows if w.window.covers(host_id, customer_id)],
    }


@require_customer
async def host_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    host_id = request.match_info["host_id"]
    facts = await request.app[DATABASE].read(
        host_facts, _customer_id(request), host_id, now, missed
    )
    if facts is None:
        context = {"title": "Not found", "message": "You have no system with that name."}
        return await render(request, "error.html", context, status=404)
    facts.update(alarm_words(request, facts["snmp"]), **graph_choices(request))
    return await render(request, "portal/host.html", facts)


@require_customer
async def host_series(request: web.Request) -> web.Response:
    """A graph's data, once the host is known to be the customer's."""
    host_id = request.match_info["host_id"]
    found = await request.app[DATABASE].read(scope.host, _customer_id(request), host_id)
    if found is None:
        raise refuse(404, "no such host")
    return await graph_response(request, found.id)
