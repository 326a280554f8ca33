"""The host page: status, remote checks and their results, maintenance, and fault history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.domain.host_status import host_status
from collector.domain.rules import AGENTLESS_KINDS
from collector.store import faults as fault_store
from collector.store import inventory, probe_results
from collector.store import maintenance as maintenance_store
from collector.store import snmp as snmp_store
from collector.store.faults import FaultView
from collector.store.maintenance import StoredWindow
from collector.store.probe_results import HostCheck, StoredResult
from collector.store.snmp import SnmpAgent
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.render import window_state
from dashboard.figure_views import host_figures
from dashboard.graph_views import graph_choices
from dashboard.render import render
from dashboard.sessions import require_operator

#: A screenful of each; older results and faults are in the API (``?limit=``) and the database.
RESULTS = 50
FAULTS = 50

EVENTS = 50

#: How a probe's verdict is drawn, in the overview's colours.
VERDICT_LEVEL = {"ok": "ok", "warning": "warn", "critical": "bad"}
#: How an SNMP alarm level is drawn.
ALARM_LEVEL = {"ok": "ok", "minor": "warn", "major": "warn", "critical": "bad"}


@dataclass(frozen=True)
class CheckRow:
    check: HostCheck
    latest: StoredResult | None


@dataclass(frozen=True)
class FaultRow:
    fault: FaultView
    events: list[Any]


@dataclass(frozen=True)
class WindowRow:
    stored: StoredWindow
    state: str


def _customer_name(conn: Connection, customer_id: str) -> str:
    names = {c["id"]: c["name"] for c in inventory.list_customers(conn)}
    return str(names.get(customer_id, customer_id))


def host_facts(conn: Connection, host_id: str, now: datetime) -> dict[str, Any] | None:
    """Everything on the page, read in one transaction so its parts agree."""
    try:
        host = inventory.get_host(conn, host_id)
    except inventory.NotFound:
        return None
    latest = probe_results.latest_by_check(conn, host_id)
    faults = fault_store.list_faults(conn, open_only=False, host_id=host_id, limit=FAULTS)
    windows = [
        WindowRow(w, window_state(w, now))
        for w in maintenance_store.list_windows(conn, host_id=host_id)
    ]
    return {
        **host_figures(conn, host_id),
        "host": host,
        "customer_name": _customer_name(conn, host.customer_id),
        "checks": [CheckRow(c, latest.get(c.id)) for c in probe_results.list_checks(conn, host_id)],
        "results": probe_results.recent_results(conn, host_id, limit=RESULTS),
        "faults": [FaultRow(f, fault_store.events(conn, f.id)) for f in faults],
        "windows": [w for w in windows if w.state != "ended"],
        **snmp_facts(conn, host_id),
        "watched_at": _watched_at(conn, host),
    }


def _watched_at(conn: Connection, host: inventory.Host) -> datetime | None:
    """When what watches a host with no agent last had its say (its status needs it)."""
    if host.kind not in AGENTLESS_KINDS:
        return None
    return snmp_store.last_watched(conn, [host.id]).get(host.id)


def snmp_facts(conn: Connection, host_id: str) -> dict[str, Any]:
    """The host's SNMP agent, its alarm status and its timeline; None for agents' hosts."""
    agent = snmp_store.get_agent(conn, host_id)
    if agent is None:
        return {"snmp": None}
    return {
        "snmp": agent,
        "alarm": snmp_store.load_status(conn, host_id),
        "events": snmp_store.recent_events(conn, host_id, limit=EVENTS),
    }


@require_operator
async def host_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    facts = await request.app[DATABASE].read(host_facts, request.match_info["host_id"], now)
    if facts is None:
        context = {"title": "No such host", "message": "There is no host with that id."}
        return await render(request, "error.html", context, status=404)
    host = facts["host"]
    open_severities = [row.fault.severity for row in facts["faults"] if row.fault.is_open]
    missed = request.app[CONFIG].monitoring.heartbeat_missed_intervals
    facts["status"] = host_status(host, facts["watched_at"], open_severities, now, missed)
    facts["verdict_level"] = VERDICT_LEVEL
    facts.update(alarm_words(request, facts["snmp"]), **graph_choices(request))
    return await render(request, "host.html", facts)


def alarm_words(request: web.Request, agent: SnmpAgent | None) -> dict[str, Any]:
    """How the SNMP section names and colours the alarm level (the profile's own label)."""
    profile = request.app[CONFIG].snmp.profile_book.get(agent.profile) if agent else None
    return {"alarm_level": ALARM_LEVEL, "alarm_label": profile.label if profile else "Alarm level"}
