"""Faults (with their history), acknowledging one, incidents, and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.api.bodies import flag, id_filter, limit, number, parse_body
from collector.config.settings import CollectorConfig
from collector.notify import outbox
from collector.operations.acknowledge import Acknowledgement, FaultNotFound, acknowledge_fault
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from collector.web.ids import MAX_ID, row_id
from collector.web.render import event_json, fault_json, incident_json, outbox_json


def _fault_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    found = row_id(raw)
    if found is None:
        raise refuse(404, f"no fault {raw!r}")
    return found


def _faults(
    conn: Connection, open_only: bool, host_id: str | None, most: int
) -> list[fault_store.FaultView]:
    if host_id is not None:
        inventory.get_host(conn, host_id)  # NotFound for a mistyped host, not an empty list
    return fault_store.list_faults(conn, open_only=open_only, host_id=host_id, limit=most)


async def list_faults(request: web.Request, _operator: Operator) -> web.Response:
    open_only = bool(flag(request, "open"))
    most = limit(request)
    try:
        faults = await request.app[DATABASE].read(
            _faults, open_only, id_filter(request, "host"), most
        )
    except inventory.NotFound as exc:
        raise refuse(404, str(exc), field="host") from None
    return web.json_response([fault_json(f) for f in faults])


def fault_detail(conn: Connection, fault_id: int) -> dict[str, Any] | None:
    fault = fault_store.get_fault(conn, fault_id)
    if fault is None:
        return None
    incident = incident_store.incident_for_fault(conn, fault_id)
    return {
        **fault_json(fault),
        "events": [event_json(e) for e in fault_store.events(conn, fault_id)],
        "incident": incident_json(incident) if incident else None,
    }


async def get_fault(request: web.Request, _operator: Operator) -> web.Response:
    fault_id = _fault_id(request)
    detail = await request.app[DATABASE].read(fault_detail, fault_id)
    if detail is None:
        raise refuse(404, f"no fault #{fault_id}")
    return web.json_response(detail)


def acknowledge(
    conn: Connection,
    fault_id: int,
    *,
    by: str,
    comment: str,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> tuple[bool, dict[str, Any] | None]:
    """Acknowledge and read the fault back in the same transaction."""
    changed = acknowledge_fault(
        conn, fault_id, by=by, comment=comment, address=address, now=now, config=config
    )
    return changed, fault_detail(conn, fault_id)


async def post_acknowledge(request: web.Request, operator: Operator) -> web.Response:
    fault_id = _fault_id(request)
    body = await parse_body(request, Acknowledgement)
    try:
        changed, detail = await request.app[DATABASE].write(
            acknowledge,
            fault_id,
            by=operator.username,
            comment=body.comment,
            address=request.remote or "",
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except FaultNotFound as exc:
        raise refuse(404, str(exc)) from None
    if not changed and detail is not None:
        who = detail["acknowledged_by"]
        raise refuse(409, f"fault #{fault_id} was acknowledged already, by {who}")
    return web.json_response(detail)


async def list_incidents(request: web.Request, _operator: Operator) -> web.Response:
    open_only = bool(flag(request, "open"))
    incidents = await request.app[DATABASE].read(
        incident_store.list_incidents, open_only=open_only, limit=limit(request)
    )
    return web.json_response([incident_json(i) for i in incidents])


async def list_outbox(request: web.Request, _operator: Operator) -> web.Response:
    fault_id = number(request, "fault", low=1, high=MAX_ID)
    status = request.query.get("status")
    if status is not None and status not in outbox.STATUSES:
        raise refuse(400, f"status must be one of {', '.join(outbox.STATUSES)}", field="status")
    rows = await request.app[DATABASE].read(outbox.recent, limit(request), fault_id, status)
    return web.json_response([outbox_json(row) for row in rows])
