"""Operator pages: the overview of customers and hosts, incidents, and the mail sent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.domain.maintenance import MaintenanceWindow
from collector.notify import outbox
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory, probe_results
from collector.store import maintenance as maintenance_store
from collector.store.faults import FaultView
from collector.store.inventory import Host
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.render import render
from dashboard.sessions import require_operator
from dashboard.status import host_status
from dashboard.triage import KINDS, STATES, Filters, TriageHost, triage

#: Enough for a screenful of history; older mail is in the database.
MAIL_PAGE = 200


@dataclass(frozen=True)
class OverviewFacts:
    customers: list[dict[str, Any]]
    hosts: list[Host]
    open_faults: list[FaultView]
    tiers: dict[str, str]
    windows: tuple[MaintenanceWindow, ...]
    targets: dict[str, list[str]]


def overview_facts(conn: Connection, now: datetime) -> OverviewFacts:
    """Everything on the overview, read in one transaction so its parts agree."""
    return OverviewFacts(
        inventory.list_customers(conn),
        inventory.list_hosts(conn),
        fault_store.list_faults(conn, open_only=True, limit=10_000),
        inventory.current_tiers(conn, now),
        tuple(maintenance_store.active_windows(conn)),
        probe_results.targets_by_host(conn),
    )


def triage_hosts(facts: OverviewFacts, now: datetime, missed_intervals: int) -> list[TriageHost]:
    severities: dict[str | None, list[str]] = defaultdict(list)
    for fault in facts.open_faults:
        severities[fault.host_id].append(fault.severity)
    names = {c["id"]: c["name"] for c in facts.customers}
    in_force = [w for w in facts.windows if w.active_at(now)]
    rows = []
    for host in facts.hosts:
        status = host_status(
            host.last_seen_at, host.heartbeat_interval_s, severities[host.id], now, missed_intervals
        )
        rows.append(
            TriageHost(
                host,
                names.get(host.customer_id, host.customer_id),
                facts.tiers.get(host.customer_id),
                status,
                any(w.covers(host.id, host.customer_id) for w in in_force),
                tuple(facts.targets.get(host.id, ())),
            )
        )
    return rows


@require_operator
async def overview(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    facts = await request.app[DATABASE].read(overview_facts, now)
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    rows = triage_hosts(facts, now, missed)
    tiers = sorted(set(facts.tiers.values()))
    filters = Filters.from_query(request.query, tiers)
    customers = [(c["id"], c["name"], facts.tiers.get(c["id"])) for c in facts.customers]
    site_faults = [f for f in facts.open_faults if f.host_id is None]
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.status.level] += 1
    context = {
        "triage": triage(rows, customers, site_faults, filters),
        "filters": filters,
        "tiers": tiers,
        "kinds": KINDS,
        "states": STATES,
        "counts": counts,
        "open_faults": facts.open_faults,
    }
    return await render(request, "overview.html", context)


@require_operator
async def incidents(request: web.Request) -> web.Response:
    show_all = request.query.get("all") == "1"
    rows = await request.app[DATABASE].read(incident_store.list_incidents, open_only=not show_all)
    return await render(request, "incidents.html", {"incidents": rows, "show_all": show_all})


@require_operator
async def mail(request: web.Request) -> web.Response:
    """The newest mail; ``?status=failed`` (or pending, sent) shows only that. Failed mail is
    counted at the top whatever is shown, since it may be older than the page reaches."""
    status = request.query.get("status")
    if status not in outbox.STATUSES:
        status = None
    db = request.app[DATABASE]
    messages = await db.read(outbox.recent, MAIL_PAGE, None, status)
    failed = (await db.read(outbox.depth_by_status)).get("failed", 0)
    context = {
        "messages": messages,
        "status": status,
        "failed": failed,
        "public_url": request.app[CONFIG].http.public_url,
    }
    return await render(request, "mail.html", context)
