"""A scenario through the real pipeline on a throwaway in-memory database and a simulated
clock: agent reports, the collector's checks, the heartbeat, SLA and paging sweeps, incident
steps and announcements, each at its moment. Mail goes to the outbox and no further.

The clock jumps from one moment that matters to the next instead of ticking every minute: an
event; the reports and check runs that follow a change until the engine has settled it (as
many as its policies need to raise or recover); a deadline (``simulated_clock.Deadlines``);
a silent agent's heartbeat running out. At each, the sweeps that can decide something then
run, as the collector's own would: the heartbeat sweep when a heartbeat can change (else its
mail half, ``mail_owed``, after any change and at reminders), the vendor-network sweep after
any reading, the SLA sweep at warnings and breaches, paging while an incident that pages waits
for an engineer (and when its next page could come). A host whose statuses have not changed
sends reports that would tell the engine nothing new, so they are left out, and its last-seen
time is moved as they would have moved it; a check whose verdict holds is not run again either.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, update

from agent import protocol
from collector.commands.scenario import Event, HostSpec, Scenario
from collector.commands.simulated_clock import Deadlines
from collector.commands.simulated_reports import probes_for, settle_after, settle_count
from collector.commands.simulated_steps import incident_step
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.contracts import installation_contract, start_of_day_utc
from collector.engine.incident_clock import access_rules
from collector.engine.pipeline import Run, mail_owed, process_new, sweep
from collector.engine.probe_results import CheckRun, record_runs
from collector.jobs.paging import sweep_paging_ahead
from collector.jobs.sla_sweep import sweep_sla
from collector.jobs.vendor_network import sweep_vendor_network
from collector.operations import announcements
from collector.operations.announcements import AnnouncementRefused
from collector.probes.base import ProbeResult, Verdict
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.probe_results import HostCheck
from collector.store.reports import IncomingReport
from collector.store.schema import hosts as hosts_table

#: The collector's sweeps and checks run on this grid of simulated time.
TICK = timedelta(seconds=60)


@dataclass
class HostState:
    spec: HostSpec
    reporting: bool = True
    seq: int = 0
    last_report: datetime | None = None
    #: Reports still to send before the engine has settled the host's latest change.
    unsettled: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Per check name, runs still to make before its latest verdict has settled.
    unsettled_checks: dict[str, int] = field(default_factory=dict)


@dataclass
class Simulation:
    config: CollectorConfig
    scenario: Scenario
    hosts: dict[str, HostState]
    settle: int = field(default_factory=settle_count)
    moments: list[datetime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Moments at which the heartbeat sweep, the SLA sweep, a reminder are due.
    heartbeats: set[datetime] = field(default_factory=set)
    sla: set[datetime] = field(default_factory=set)
    reminders: set[datetime] = field(default_factory=set)
    _scheduled: set[datetime] = field(default_factory=set)
    #: The moment being played: the clock only stops again later.
    now: datetime | None = None
    #: Hosts with reports to send, and hosts with checks to run, until their change settles:
    #: the clock's stops look at these, not at every host.
    reports_due: set[str] = field(default_factory=set)
    checks_due: set[str] = field(default_factory=set)
    #: When reports were last looked at: a settled host's ``last_report`` counts those left
    #: out up to then, though it is only moved when read (``_unsettle``, ``_seen``).
    reported_at: datetime | None = None
    #: The last-seen time last written for each host, to write only those that moved.
    marked: dict[str, datetime] = field(default_factory=dict)
    _order: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._order = {host_id: index for index, host_id in enumerate(self.hosts)}

    def in_order(self, host_ids: set[str]) -> list[HostState]:
        """The hosts in the scenario's order, the order every stop sends and runs in."""
        return [self.hosts[h] for h in sorted(host_ids, key=self._order.__getitem__)]

    def at(self, moment: datetime, due: set[datetime] | None = None) -> None:
        """Stop the clock at ``moment`` too (within start..end), for what ``due`` holds."""
        if not self.scenario.start <= moment <= self.scenario.end:
            return
        if self.now is not None and moment <= self.now:
            return
        if due is not None:
            due.add(moment)
        if moment not in self._scheduled:
            self._scheduled.add(moment)
            heapq.heappush(self.moments, moment)

    def on_grid(self, moment: datetime, after: bool = False) -> datetime:
        """The first sweep at or after ``moment`` (``after``: after it, for one off the grid)."""
        start = self.scenario.start
        steps = (moment - start) // TICK + 1 if after else -((start - moment) // TICK)
        return start + steps * TICK


def run(engine: Engine, config: CollectorConfig, scenario: Scenario) -> list[str]:
    """Play the scenario; what happened is left in the database. Returns what could not be
    done when its moment came (a step the incident's state refused), one line each."""
    sim = Simulation(config, scenario, {spec.id: HostState(spec) for spec in scenario.hosts})
    with engine.begin() as conn:
        _inventory(conn, scenario)
        checks = {h.id: probe_store.list_checks(conn, h.id) for h in scenario.hosts}
    for state in sim.hosts.values():
        state.unsettled = sim.settle
        state.unsettled_checks = dict.fromkeys((c.name or c.kind for c in checks[state.spec.id]), 1)
    sim.reports_due.update(sim.hosts)
    sim.checks_due.update(sim.hosts)
    for edge in (scenario.start, scenario.end):
        sim.at(edge, sim.heartbeats)
        sim.at(edge, sim.sla)
    for event in scenario.events:
        sim.at(event.at)
    events = list(enumerate(scenario.events))
    deadlines = Deadlines(config)
    while sim.moments:
        now = sim.now = heapq.heappop(sim.moments)
        with engine.begin() as conn:
            changed = False
            while events and events[0][1].at <= now:
                index, event = events.pop(0)
                changed = True
                refused = _apply(conn, sim, event, now)
                if refused:
                    sim.notes.append(f"events.{index} at {event.at:%Y-%m-%dT%H:%M:%SZ}: {refused}")
            reported = _report(conn, sim, now)
            checked = _check_runs(conn, sim, checks, now)
            _sweeps(conn, sim, deadlines, now, reported, checked, changed)
    return sim.notes


def _sweeps(
    conn: Connection,
    sim: Simulation,
    deadlines: Deadlines,
    now: datetime,
    reported: bool,
    checked: bool,
    changed: bool,
) -> None:
    """The collector's sweeps that can decide something at ``now``, then the deadlines ahead.
    The vendor-network sweep reads remote-access faults alone, which only check runs move."""
    config = sim.config
    if now in sim.heartbeats:
        _seen(conn, sim)
        sweep(conn, config, now, find_next=False)  # the clock knows when hosts fall silent
    elif reported or checked or changed or now in sim.reminders:
        mail_owed(Run(conn, config, now))
    if checked or now in sim.heartbeats:
        sweep_vendor_network(conn, config, now)
    if now in sim.sla:
        sweep_sla(conn, config, now)
    sla, reminders, paging = deadlines.ahead(conn, now)
    ahead = sweep_paging_ahead(conn, config, now).next_at if paging else None
    if ahead is not None:  # swept at every stop (a new fact may page), then when one could
        sim.at(sim.on_grid(ahead, after=ahead <= now))  # one page an incident a sweep
    for at in sla:
        sim.at(sim.on_grid(at), sim.sla)
    for at in reminders:
        sim.at(sim.on_grid(at), sim.reminders)


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


def _apply(conn: Connection, sim: Simulation, event: Event, now: datetime) -> str | None:
    """Apply one event; what was refused, if anything."""
    catalogue, rules = catalogue_for(sim.config), access_rules(sim.config)
    if event.announce is not None:
        spec = event.announce
        body = announcements.NewAnnouncement(
            calendar=spec.calendar, day=spec.date, hours=[] if spec.closed else spec.hours,
            reason=spec.reason,
        )  # fmt: skip
        try:
            announcements.announce(
                conn, body, by=event.by, now=now, catalogue=catalogue, rules=rules
            )
        except AnnouncementRefused as exc:
            return f"announcement refused: {exc}"
        return None
    state = sim.hosts[event.host or ""]
    if event.agent is not None:
        _agent(conn, sim, state, event.agent == "reporting", now)
    elif event.check is not None:
        state.checks[event.check] = (event.status or "ok", event.detail)
        state.unsettled_checks[event.check] = sim.settle
        sim.checks_due.add(state.spec.id)
    elif event.probe is not None:
        status = state.statuses[event.probe] = event.status or "ok"
        _unsettle(sim, state, settle_after(event.probe, status))
    elif event.step is not None:
        return _step(conn, sim, state, event, now)
    return None


def _agent(
    conn: Connection, sim: Simulation, state: HostState, reporting: bool, now: datetime
) -> None:
    if reporting:
        _unsettle(sim, state)
        state.reporting = True
        sim.heartbeats.add(now)  # its first report ends the silence at this moment's sweep
        return
    if state.reporting and state.last_report is not None:
        # Its last report came before this moment: the ones left out until then count.
        last = _latest_report(state, now - timedelta(microseconds=1))
        _mark_seen(conn, sim, {state.spec.id: last})
        state.last_report = last
        missed = sim.config.monitoring.heartbeat_missed_intervals
        silent = sim.on_grid(last + missed * timedelta(seconds=state.spec.interval_s))
        sim.at(silent, sim.heartbeats)
    state.reporting = False


def _step(
    conn: Connection, sim: Simulation, state: HostState, event: Event, now: datetime
) -> str | None:
    return incident_step(conn, sim.config, state.spec.id, event, now)


def _latest_report(state: HostState, now: datetime) -> datetime:
    """When the host last reported by ``now``, counting the reports left out."""
    assert state.last_report is not None
    interval = timedelta(seconds=state.spec.interval_s)
    return state.last_report + ((now - state.last_report) // interval) * interval


def _unsettle(sim: Simulation, state: HostState, readings: int | None = None) -> None:
    """The host has a change to report: it sends reports until the engine has settled it.
    A settled host's reports left out up to the last stop count first, as ``_report`` would
    have counted them there (counting them later is the same sum: ``_latest_report`` of its
    own result is itself)."""
    if state.reporting and state.unsettled <= 0 and sim.reported_at is not None:
        state.last_report = _latest_report(state, sim.reported_at)
    state.unsettled = max(state.unsettled, sim.settle if readings is None else readings)
    sim.reports_due.add(state.spec.id)


def _report(conn: Connection, sim: Simulation, now: datetime) -> bool:
    """Reports from hosts with a change still settling; the others' reports are left out
    (counted in ``last_report`` when it is read). Whether any report was sent."""
    sent = []
    for state in sim.in_order(sim.reports_due):
        interval = timedelta(seconds=state.spec.interval_s)
        if not state.reporting:
            continue
        if state.last_report is not None and now - state.last_report < interval:
            sim.at(sim.on_grid(state.last_report + interval))
            continue
        state.seq, state.last_report, state.unsettled = state.seq + 1, now, state.unsettled - 1
        if state.unsettled:
            sim.at(sim.on_grid(now + interval))
        else:
            sim.reports_due.discard(state.spec.id)
        sim.marked.pop(state.spec.id, None)  # storing the report moves its last-seen time
        body = protocol.build_report(
            host_id=state.spec.id, seq=state.seq, sampled_at=now,
            interval_s=state.spec.interval_s, agent_version="simulated",
            probes=probes_for(sim.config, state.statuses),
        )  # fmt: skip
        sent.append(IncomingReport(state.spec.id, state.seq, now, body))
    sim.reported_at = now
    if sent:
        process_new(conn, sim.config, now, sent)
    return bool(sent)


def _seen(conn: Connection, sim: Simulation) -> None:
    """Before a heartbeat sweep (the one reader of last-seen times): every reporting host's
    last-seen time as its left-out reports would have moved it, where that moved."""
    assert sim.now is not None
    seen = {}
    # Hosts that last reported together at one interval have reported together since.
    latest: dict[tuple[datetime, float], datetime] = {}
    for state in sim.hosts.values():
        if state.reporting and state.unsettled <= 0 and state.last_report is not None:
            key = (state.last_report, state.spec.interval_s)
            last = latest.get(key)
            if last is None:
                last = latest[key] = _latest_report(state, sim.now)
            if sim.marked.get(state.spec.id) != last:
                seen[state.spec.id] = last
    _mark_seen(conn, sim, seen)


def _mark_seen(conn: Connection, sim: Simulation, seen: dict[str, datetime]) -> None:
    """Move hosts' last-seen times as their left-out reports would have: one statement for
    each time, as hosts that report at one interval from one start share theirs."""
    by_time: dict[datetime, list[str]] = {}
    for host_id, at in seen.items():
        by_time.setdefault(at, []).append(host_id)
    for at, host_ids in by_time.items():
        conn.execute(_MARK_SEEN, {"hosts": host_ids, "seen": at})
    sim.marked.update(seen)


_MARK_SEEN = (
    update(hosts_table)
    .where(hosts_table.c.id.in_(bindparam("hosts", expanding=True)))
    .values(last_seen_at=bindparam("seen"))
)


def _check_runs(
    conn: Connection, sim: Simulation, checks: dict[str, list[HostCheck]], now: datetime
) -> bool:
    """The collector's checks whose verdict is still settling; the others would say again
    what they said. Whether any ran."""
    runs = []
    for state in sim.in_order(sim.checks_due):
        for check in checks[state.spec.id]:
            name = check.name or check.kind
            if state.unsettled_checks.get(name, 0) <= 0:
                continue
            state.unsettled_checks[name] -= 1
            if state.unsettled_checks[name]:
                sim.at(sim.on_grid(now, after=True))
            status, detail = state.checks.get(name, ("ok", ""))
            result = ProbeResult(check.kind, check.target, Verdict(status), 1.0, detail)
            runs.append(CheckRun(check, result, now))
        if all(state.unsettled_checks.get(c.name or c.kind, 0) <= 0 for c in checks[state.spec.id]):
            sim.checks_due.discard(state.spec.id)
    if runs:
        record_runs(conn, sim.config, runs, now)
    return bool(runs)
