"""Operator pages: the overview of customers and hosts, incidents, and the mail sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, and_, select

from collector.domain.host_status import host_status
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.rules import AGENTLESS_KINDS
from collector.notify import outbox
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory, probe_results, schema
from collector.store import maintenance as maintenance_store
from collector.store import snmp as snmp_store
from collector.store.faults import FaultView
from collector.store.inventory import Host
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.overview_hosts import LOOKED_AT_STATES, search_narrowing, state_narrowing
from dashboard.render import render
from dashboard.sessions import require_operator
from dashboard.triage import KINDS, STATES, Filters, TriageHost, triage

#: Enough for a screenful of history; older mail is in the database.
MAIL_PAGE = 200
#: Host rows drawn in full per customer on the overview (its problem hosts, or when filtered
#: its matches); the rest are counted and listed on the customer's page.
FULL_ROWS = 25


@dataclass(frozen=True)
class OverviewFacts:
    customers: list[dict[str, Any]]
    hosts: list[Host]
    open_faults: list[FaultView]
    tiers: dict[str, str]
    windows: tuple[MaintenanceWindow, ...]
    targets: dict[str, list[str]]
    #: Per customer, the hosts not in ``hosts`` because they are certainly fine: counted only.
    quiet: dict[str, int] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    #: Filtered: the hosts that may pass the filters (``triage`` finishes), in list order.
    matches: list[Host] | None = None
    #: Hosts with no agent that were read: when what watches them last had its say.
    watched: dict[str, datetime] = field(default_factory=dict)


def overview_facts(
    conn: Connection, now: datetime, missed: int, query: Mapping[str, str]
) -> OverviewFacts:
    """Everything on the overview, read in one transaction so its parts agree.

    The page draws only hosts that need someone and counts the rest, so only those that may
    need someone are read (``missed``: the heartbeat's missed intervals); the rest are counted
    per customer in SQL. Ten thousand quiet hosts read one by one cost more than all the rest
    of the page. Filtered (``query``), it reads besides only the hosts the filters may keep.
    """
    customers = inventory.list_customers(conn)
    faults = fault_store.list_faults(conn, open_only=True, limit=10_000)
    tiers, windows = inventory.current_tiers(conn, now), maintenance_store.active_windows(conn)
    hosts = inventory.hosts_to_look_at(conn, now, missed)
    quiet = inventory.host_counts(conn)
    for host in hosts:
        quiet[host.customer_id] -= 1
    filters = Filters.from_query(query, tiers.values())
    facts = OverviewFacts(customers, hosts, faults, tiers, tuple(windows), {}, quiet, filters)
    return with_watched(conn, _with_matches(conn, facts, now) if filters.active else facts)


def with_watched(conn: Connection, facts: OverviewFacts) -> OverviewFacts:
    """The facts with when its hosts with no agent were last watched: their status needs it
    where an agent's host has its last report."""
    read = [*facts.hosts, *(facts.matches or ())]
    agentless = [host.id for host in read if host.kind in AGENTLESS_KINDS]
    return replace(facts, watched=snmp_store.last_watched(conn, agentless))


def _with_matches(conn: Connection, facts: OverviewFacts, now: datetime) -> OverviewFacts:
    """The facts with the hosts the filters may keep: for a state only a host that may need
    someone is in, those already read; else those SQL narrows to. Check targets serve the
    search only, and are read for the hosts it may find."""
    filters = facts.filters
    names = [(c["id"], c["name"]) for c in facts.customers]
    searched = search_narrowing(filters, names, facts.tiers)
    if filters.state in LOOKED_AT_STATES:
        matches = facts.hosts
    else:
        in_state = state_narrowing(filters.state, facts.windows, now)
        matches = inventory.list_hosts(conn, where=and_(searched, in_state))
    host_ids = select(schema.hosts.c.id).where(searched)
    targets = probe_results.targets_by_host(conn, host_ids) if filters.q else {}
    return replace(facts, matches=matches, targets=targets)


def triage_hosts(
    facts: OverviewFacts, now: datetime, missed_intervals: int, hosts: list[Host] | None = None
) -> list[TriageHost]:
    """``hosts`` (by default ``facts.hosts``) with their status, tier and maintenance."""
    severities: dict[str | None, list[str]] = defaultdict(list)  # read with get: no new keys
    for fault in facts.open_faults:
        severities[fault.host_id].append(fault.severity)
    names = {c["id"]: c["name"] for c in facts.customers}
    in_force = [w for w in facts.windows if w.active_at(now)]
    rows = []
    for host in facts.hosts if hosts is None else hosts:
        status = host_status(
            host, facts.watched.get(host.id), severities.get(host.id, ()), now, missed_intervals
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
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    facts = await request.app[DATABASE].read(overview_facts, now, missed, request.query)
    return await render(request, "overview.html", overview_context(facts, now, missed))


def overview_context(facts: OverviewFacts, now: datetime, missed: int) -> dict[str, Any]:
    """What the overview draws: the counts over the fleet, then the triage of the hosts that
    need someone, or filtered, of the matches."""
    looked_at = triage_hosts(facts, now, missed)
    counts: dict[str, int] = defaultdict(int)
    counts["ok"] = sum(facts.quiet.values())
    for row in looked_at:
        counts[row.status.level] += 1
    fleet = len(looked_at) + sum(facts.quiet.values())
    if facts.matches is None:
        rows, quiet = looked_at, facts.quiet
    else:  # the groups count only the matches, every one of them read
        rows, quiet = triage_hosts(facts, now, missed, facts.matches), {}
    customers = [(c["id"], c["name"], facts.tiers.get(c["id"])) for c in facts.customers]
    site_faults = [f for f in facts.open_faults if f.host_id is None]
    return {
        "triage": triage(rows, customers, site_faults, facts.filters, quiet, fleet),
        "filters": facts.filters,
        "tiers": sorted(set(facts.tiers.values())),
        "kinds": KINDS,
        "states": STATES,
        "counts": counts,
        "open_faults": facts.open_faults,
        "full_rows": FULL_ROWS,
    }


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
