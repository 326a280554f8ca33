"""Operator pages: the overview of customers and hosts, incidents, and the mail sent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.notify import outbox
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.faults import FaultView
from collector.store.inventory import Host
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.render import render
from dashboard.sessions import require_operator
from dashboard.status import (
    HostStatus,
    host_status,
    level_of_severity,
    worst_level,
    worst_severity,
)

#: Enough for a screenful of history; older mail is in the database.
MAIL_PAGE = 200


@dataclass(frozen=True)
class HostRow:
    host: Host
    status: HostStatus


@dataclass(frozen=True)
class CustomerRow:
    id: str
    name: str
    level: str
    hosts: list[HostRow]
    #: Open faults about the customer's site as a whole rather than one host.
    site_faults: list[FaultView]


def _overview_facts(conn: Connection) -> tuple[list[dict[str, Any]], list[Host], list[FaultView]]:
    """Customers, hosts and open faults read in one transaction, so they agree."""
    return (
        inventory.list_customers(conn),
        inventory.list_hosts(conn),
        fault_store.list_faults(conn, open_only=True, limit=10_000),
    )


def customer_rows(
    customers: list[dict[str, Any]],
    hosts: list[Host],
    open_faults: list[FaultView],
    now: datetime,
    missed_intervals: int,
) -> list[CustomerRow]:
    severities: dict[str | None, list[str]] = defaultdict(list)
    site_faults: dict[str, list[FaultView]] = defaultdict(list)
    for fault in open_faults:
        if fault.host_id is None:
            site_faults[fault.customer_id].append(fault)
        else:
            severities[fault.host_id].append(fault.severity)
    hosts_by_customer: dict[str, list[HostRow]] = defaultdict(list)
    for host in hosts:
        status = host_status(
            host.last_seen_at, host.heartbeat_interval_s, severities[host.id], now, missed_intervals
        )
        hosts_by_customer[host.customer_id].append(HostRow(host, status))
    rows = []
    for customer in customers:
        host_rows, site = hosts_by_customer[customer["id"]], site_faults[customer["id"]]
        site_level = level_of_severity(worst_severity(f.severity for f in site))
        level = worst_level([site_level, *(row.status.level for row in host_rows)])
        rows.append(CustomerRow(customer["id"], customer["name"], level, host_rows, site))
    return rows


@require_operator
async def overview(request: web.Request) -> web.Response:
    customers, hosts, open_faults = await request.app[DATABASE].read(_overview_facts)
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    rows = customer_rows(customers, hosts, open_faults, request.app[CLOCK](), missed)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for host_row in row.hosts:
            counts[host_row.status.level] += 1
    context = {"customers": rows, "counts": counts, "open_faults": open_faults}
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
