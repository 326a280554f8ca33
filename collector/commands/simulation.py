"""A scenario through the real pipeline on a throwaway in-memory database and a simulated
clock: agent reports, the collector's checks, the heartbeat, SLA and paging sweeps, incident
steps and announcements, each at its moment. Mail goes to the outbox and no further."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from agent import protocol
from collector.commands.scenario import Event, HostSpec, Scenario
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.contracts import installation_contract, start_of_day_utc
from collector.engine.incident_clock import access_rules
from collector.engine.pipeline import process_reports, sweep
from collector.engine.probe_results import CheckRun, record_runs
from collector.jobs.paging import sweep_paging
from collector.jobs.sla_sweep import sweep_sla
from collector.jobs.vendor_network import sweep_vendor_network
from collector.operations import announcements
from collector.operations.incidents import perform
from collector.probes.base import ProbeResult, Verdict
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.reports import IncomingReport, store_reports

#: How often the sweeps run, in simulated time (the collector's default is every 15 s).
TICK = timedelta(seconds=60)
_DISK = {"ok": 50.0, "warning": 90.0, "critical": 97.0}


@dataclass
class HostState:
    spec: HostSpec
    reporting: bool = True
    seq: int = 0
    last_report: datetime | None = None
    probes: dict[str, tuple[str, str]] = field(default_factory=dict)
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)


def run(engine: Engine, config: CollectorConfig, scenario: Scenario) -> None:
    """Play the scenario; what happened is left in the database."""
    hosts = {spec.id: HostState(spec) for spec in scenario.hosts}
    with engine.begin() as conn:
        _inventory(conn, scenario)
    events = list(scenario.events)
    for now in _moments(scenario):
        with engine.begin() as conn:
            while events and events[0].at <= now:
                _apply(conn, config, hosts, events.pop(0), now)
            _report(conn, config, hosts, now)
            _check_runs(conn, config, hosts, now)
            sweep(conn, config, now)
            sweep_vendor_network(conn, config, now)
            sweep_sla(conn, config, now)
            sweep_paging(conn, config, now)


def _moments(scenario: Scenario) -> Iterator[datetime]:
    """Every tick from start to end, and every event's own moment."""
    ticks, now = set(), scenario.start
    while now <= scenario.end:
        ticks.add(now)
        now += TICK
    yield from sorted(ticks | {event.at for event in scenario.events})


def _inventory(conn: Connection, scenario: Scenario) -> None:
    at = scenario.start
    for c in scenario.customers:
        inventory.add_customer(
            conn, c.id, c.name or c.id, at, access=c.access, timezone=c.timezone, region=c.region
        )
        inventory.set_contacts(conn, c.id, [(c.name or c.id, f"contact@{c.id}.example")])
        if c.installed_on is not None:
            tier, starts, ends = installation_contract(c.installed_on)
        else:
            tier, starts, ends = c.tier, (at - timedelta(days=1)).date(), None
        begin = start_of_day_utc(starts, c.timezone)
        end = start_of_day_utc(ends, c.timezone) if ends else None
        inventory.add_contract(conn, c.id, tier, begin, end)
    for h in scenario.hosts:
        inventory.add_host(
            conn, h.id, h.customer, at, kind=h.kind, interval_s=h.interval_s, access=h.access
        )
        for check in h.checks:
            probe_store.add_check(
                # A check named as its kind is the host's one check of that kind: remote.ssh.
                conn, h.id, check.kind, f"{h.id}:{check.name}", at,
                name="" if check.name == check.kind else check.name,
                interval_s=TICK.total_seconds(), remote_access=check.remote_access,
            )  # fmt: skip


def _apply(
    conn: Connection,
    config: CollectorConfig,
    hosts: dict[str, HostState],
    event: Event,
    now: datetime,
) -> None:
    if event.announce is not None:
        spec = event.announce
        body = announcements.NewAnnouncement(
            calendar=spec.calendar, day=spec.date, hours=[] if spec.closed else spec.hours,
            reason=spec.reason,
        )  # fmt: skip
        announcements.announce(
            conn, body, by=event.by, now=now, catalogue=catalogue_for(config),
            rules=access_rules(config),
        )  # fmt: skip
        return
    state = hosts[event.host or ""]
    if event.agent is not None:
        state.reporting = event.agent == "reporting"
    elif event.check is not None:
        state.checks[event.check] = (event.status or "ok", event.detail)
    elif event.probe is not None:
        state.probes[event.probe] = (event.status or "ok", event.detail)
    elif event.step is not None:
        incident = _latest_open(conn, state.spec.id)
        if incident is not None:
            perform(
                conn, incident, event.step, by=event.by, now=now,
                catalogue=catalogue_for(config), rules=access_rules(config),
            )  # fmt: skip


def _latest_open(conn: Connection, host_id: str) -> int | None:
    found = [i for i in incident_store.list_incidents(conn) if i.host_id == host_id]
    return max((i.id for i in found), default=None)


def _report(
    conn: Connection, config: CollectorConfig, hosts: dict[str, HostState], now: datetime
) -> None:
    for state in hosts.values():
        interval = timedelta(seconds=state.spec.interval_s)
        if not state.reporting or (state.last_report and now - state.last_report < interval):
            continue
        state.seq += 1
        state.last_report = now
        body = protocol.build_report(
            host_id=state.spec.id, seq=state.seq, sampled_at=now,
            interval_s=state.spec.interval_s, agent_version="simulated",
            probes=_probes(state),
        )  # fmt: skip
        store_reports(conn, [IncomingReport(state.spec.id, state.seq, now, body)], now)
    while process_reports(conn, config, now):
        pass


def _probes(state: HostState) -> dict[str, Any]:
    filesystems = {
        key.removeprefix("disk:"): {"used_percent": _DISK[status], "inodes_used_percent": 1.0}
        for key, (status, _) in state.probes.items()
        if key.startswith("disk:")
    }
    probes: dict[str, Any] = {
        "system": {"status": "ok", "metrics": {"filesystems": filesystems}, "error": None}
    }
    for key, (status, detail) in state.probes.items():
        if key.startswith("probe:"):
            failed = status != "ok"
            probes[key.removeprefix("probe:")] = {
                "status": "error" if failed else "ok", "metrics": {},
                "error": (detail or "failed") if failed else None,
            }  # fmt: skip
    return probes


def _check_runs(
    conn: Connection, config: CollectorConfig, hosts: dict[str, HostState], now: datetime
) -> None:
    runs = []
    for state in hosts.values():
        for check in probe_store.list_checks(conn, state.spec.id):
            status, detail = state.checks.get(check.name or check.kind, ("ok", ""))
            result = ProbeResult(check.kind, check.target, Verdict(status), 1.0, detail)
            runs.append(CheckRun(check, result, now))
    if runs:
        record_runs(conn, config, runs, now)
