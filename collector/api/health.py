"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Connection, text

from collector.config.settings import CollectorConfig
from collector.jobs.leadership import LEADERSHIP
from collector.notify import outbox
from collector.operations.inventory import tier_names
from collector.store import faults as fault_store
from collector.web.access import public
from collector.web.appkeys import CONFIG, DATABASE, METRICS

OPENAPI = Path(__file__).with_name("openapi.json")


@public
async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _ping(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


@public
async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[DATABASE].read(_ping)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return web.json_response({"status": "unavailable", "error": str(exc)}, status=503)
    # Every collector is ready to serve; ``leader`` tells which one runs the schedules.
    return web.json_response({"status": "ok", "leader": request.app[LEADERSHIP].is_leader})


@public
async def metrics(request: web.Request) -> web.Response:
    db, registry = request.app[DATABASE], request.app[METRICS]
    registry.leader.set(1 if request.app[LEADERSHIP].is_leader else 0)
    open_counts = await db.read(fault_store.open_counts_by_severity)
    for severity in ("critical", "major", "minor"):
        registry.open_faults.labels(severity=severity).set(open_counts.get(severity, 0))
    depth = await db.read(outbox.depth_by_status)
    for status in ("pending", "sent", "failed"):
        registry.outbox_depth.labels(status=status).set(depth.get(status, 0))
    body = generate_latest(registry.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def openapi_document(config: CollectorConfig) -> dict[str, Any]:
    """The OpenAPI document, its contract tiers those of the catalogue this collector runs with."""
    document: dict[str, Any] = json.loads(OPENAPI.read_text())
    tier = document["components"]["schemas"]["Contract"]["properties"]["tier"]
    tier["enum"] = sorted(tier_names(config))
    return document


@public
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[CONFIG]))
