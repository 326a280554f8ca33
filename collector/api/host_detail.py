"""One host in depth: its remote checks with their results, and its fault history."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.api.bodies import flag, limit
from collector.api.faults import fault_detail
from collector.store import faults as fault_store
from collector.store import inventory, probe_results
from collector.store.operators import Operator
from collector.web.appkeys import DATABASE
from collector.web.errors import refuse
from collector.web.render import host_check_json, probe_result_json

#: A screenful: the newest results across the host's checks, and its latest faults.
RESULTS = 50
FAULTS = 50


def probes_json(conn: Connection, host_id: str, most: int) -> dict[str, Any]:
    """The host's checks with each one's newest result, and its newest results overall."""
    inventory.get_host(conn, host_id)  # NotFound for a mistyped host, not empty lists
    latest = probe_results.latest_by_check(conn, host_id)
    return {
        "host_id": host_id,
        "checks": [
            host_check_json(check, latest.get(check.id))
            for check in probe_results.list_checks(conn, host_id)
        ],
        "results": [
            probe_result_json(result)
            for result in probe_results.recent_results(conn, host_id, limit=most)
        ],
    }


def fault_history(
    conn: Connection, host_id: str, open_only: bool, most: int
) -> list[dict[str, Any]]:
    """The host's faults, newest first, each with its events and incident."""
    inventory.get_host(conn, host_id)
    faults = fault_store.list_faults(conn, open_only=open_only, host_id=host_id, limit=most)
    return [detail for f in faults if (detail := fault_detail(conn, f.id)) is not None]


async def get_host_probes(request: web.Request, _operator: Operator) -> web.Response:
    most = limit(request, default=RESULTS)
    try:
        body = await request.app[DATABASE].read(probes_json, request.match_info["id"], most)
    except inventory.NotFound as exc:
        raise refuse(404, str(exc)) from None
    return web.json_response(body)


async def get_host_faults(request: web.Request, _operator: Operator) -> web.Response:
    open_only, most = bool(flag(request, "open")), limit(request, default=FAULTS)
    try:
        history = await request.app[DATABASE].read(
            fault_history, request.match_info["id"], open_only, most
        )
    except inventory.NotFound as exc:
        raise refuse(404, str(exc)) from None
    return web.json_response(history)
