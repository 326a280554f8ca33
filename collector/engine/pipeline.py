"""Reports and sweeps through the fault engine.

    report ─rules─▶ observations ─evaluate─▶ check states + transitions
           ─assess (dependencies)─▶ decide ─▶ fault rows, events, incidents, outbox mail

The domain modules decide; this module only loads their facts and stores their decisions,
so a fault and the mail announcing it are committed together or not at all.

Reports are evaluated in batches, in two steps. ``plan_reports`` reads a batch, its hosts and
their check states (one query each) and runs the engine over the reports in order, writing
nothing. ``apply_plan`` then, in one short transaction, claims the reports (compare-and-set:
no report is evaluated twice, whatever else evaluates), checks that the states the plan read
are still the stored ones, and stores the changed states and the fault decisions, each state
written out before any transition that follows it is acted on, so dependencies and faults
see exactly what evaluating one report at a time would have shown them.
``process_reports`` is both steps in one transaction; ``process_all`` takes the lock first and
claims each batch as it reads it, so it has nothing left to check; ``process_new`` stores
reports already claimed and evaluates them in the transaction that stores them.

A run (one transaction: a plan applied, a sweep, a batch of probe results) reads each customer's
dependency facts and open faults once, the first time it acts on the customer, and keeps them
current with the states and faults it writes (``collector.engine.customer_view``): an outage of all
of a customer's N hosts costs N steps, not N².

The faults a sweep or a batch of probe results opens are mailed at its end
(``Run.announce_openings``), still in its transaction, once every fault that could explain them
has been decided: when all of a customer's hosts fall silent in one sweep, the customer hears
of the site down, once. A batch of reports is a series of moments, each of one host; the
faults of each report are mailed after it, as evaluating it alone would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection

from collector.config.dependencies import dependencies_for
from collector.config.settings import CollectorConfig
from collector.domain import rules, storms
from collector.domain.faults import notifications_due as owed_notification
from collector.domain.figures import Counters
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import (
    CheckPolicy,
    Levels,
    NotificationPolicy,
    PolicyBook,
    Thresholds,
)
from collector.domain.watches import Observation, WatchState, WatchTransition, evaluate
from collector.engine.customer_view import CustomerView
from collector.engine.fault_writer import FaultWriter
from collector.engine.figures import CounterMemory, report_samples
from collector.engine.heartbeats_due import heartbeats_due
from collector.engine.incident_opening import IncidentOpener
from collector.engine.plans import Conflict, Plan, Segment, States
from collector.store import faults as fault_store
from collector.store import maintenance as maintenance_store
from collector.store import reports as report_store
from collector.store import series as series_store
from collector.store import watch_states
from collector.store.host_lookup import hosts_by_id
from collector.store.inventory import Host
from collector.store.locks import hold_evaluation_lock
from collector.store.reports import IncomingReport

#: Reports evaluated per transaction: big enough to amortise the bulk loads and saves, small
#: enough that the ingest commits sharing the writer thread are not held up for long.
BATCH_SIZE = 500


#: The default policies, one book for every run: it keeps each check's policy once found.
_POLICIES = PolicyBook()


@dataclass
class Run:
    """One transaction's worth of engine work: its facts, loaded once."""

    conn: Connection
    config: CollectorConfig
    now: datetime
    policies: PolicyBook = _POLICIES
    _views: dict[str, CustomerView] = field(default_factory=dict, init=False, repr=False)
    _view_of_host: dict[str, CustomerView] = field(default_factory=dict, init=False, repr=False)
    #: The views acted on since the openings were last announced.
    _acted: dict[str, CustomerView] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def thresholds(self) -> Thresholds:
        m = self.config.monitoring
        disk = Levels(m.disk_warning_percent, m.disk_critical_percent, 5.0)
        return Thresholds(disk=disk, heartbeat_missed_intervals=m.heartbeat_missed_intervals)

    @cached_property
    def windows(self) -> tuple[MaintenanceWindow, ...]:
        return tuple(maintenance_store.active_windows(self.conn))

    @cached_property
    def mail_policy(self) -> NotificationPolicy:
        return NotificationPolicy(reminder_interval_s=self.config.mail.reminder_interval_s)

    @cached_property
    def writer(self) -> FaultWriter:
        return FaultWriter(self.conn, self.config, self.now, IncidentOpener(self.config))

    def policy(self, check_key: str) -> CheckPolicy:
        """The check's policy (the book keeps each one found)."""
        return self.policies.for_check(check_key)

    def view(self, customer_id: str) -> CustomerView:
        """The customer's facts and open faults, read on first use and kept current after."""
        found = self._views.get(customer_id)
        if found is None:
            found = CustomerView(
                self.conn, customer_id, self.writer, self.now, self.windows, self.mail_policy,
                dependencies_for(self.config),
            )  # fmt: skip
            self._views[customer_id] = found
            self._view_of_host.update(dict.fromkeys(found.host_ids, found))
        self._acted[customer_id] = found
        return found

    def announce_openings(self) -> None:
        """Decide the opening mail of every fault the run opened, in the order they opened,
        with the dependencies as the run leaves them: the end of every run that acts on faults.
        (Should a run end without it, the sweep's catch-up mails what is owed, a sweep later.)"""
        waiting = []
        for view in self._acted.values():
            waiting += [(fault_id, key, view) for fault_id, key in view.unannounced()]
        self._acted.clear()
        for _, key, view in sorted(waiting, key=_first):
            view.announce(key)

    def save_states(self, states: Mapping[str, Mapping[str, WatchState]]) -> None:
        """Store check states (host id → check key → state); the views read already follow."""
        watch_states.save_many(self.conn, states, self.now)
        for host_id, changed in states.items():
            view = self._view_of_host.get(host_id)
            if view is not None and changed:
                view.states_saved(host_id, changed)


class _Pending:
    """Check states changed by a batch and not yet written, host id → check key → state."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._states: dict[str, States] = {}

    def add(self, host_id: str, changed: Mapping[str, WatchState]) -> None:
        if changed:
            self._states.setdefault(host_id, {}).update(changed)

    def flush(self) -> None:
        self._run.save_states(self._states)
        self._states = {}


def plan_reports(
    conn: Connection,
    config: CollectorConfig,
    now: datetime,
    limit: int | None = None,
    bodies: Mapping[tuple[str, int], Any] | None = None,
    counters: CounterMemory | None = None,
) -> Plan | None:
    """Evaluate the oldest unevaluated reports, writing nothing; None when there are none.

    This is the expensive part of evaluation, and it needs no write lock: ``apply_plan``
    stores the outcome later, in a short transaction, if nothing it depended on changed.
    ``limit`` defaults to ``BATCH_SIZE``; ``bodies`` are report bodies at hand by (host id,
    seq), not to be read again; ``counters`` each host's last network counters.
    """
    rows = report_store.unprocessed_reports(conn, limit or BATCH_SIZE, bodies)
    return _evaluate(conn, config, now, rows, counters)


def _evaluate(
    conn: Connection,
    config: CollectorConfig,
    now: datetime,
    rows: list[report_store.Unprocessed],
    counters: CounterMemory | None = None,
) -> Plan | None:
    """``plan_reports`` of the reports read."""
    if not rows:
        return None
    run = Run(conn, config, now)
    hosts = hosts_by_id(conn, {row.host_id for row in rows})
    states, versions = watch_states.load_versioned(conn, hosts)
    segments: list[Segment] = []
    pending: dict[str, States] = {}
    depends_on: dict[tuple[str, str], str | None] = {}
    samples: list[series_store.Sample] = []
    newest: dict[str, Counters] = {}
    for row in rows:
        host = hosts.get(row.host_id)
        if host is None:  # deleted since; its reports go with it
            continue
        before = newest.get(host.id) or (counters.get(host.id) if counters else None)
        found_samples, after = report_samples(host.id, row.body, before)
        samples += found_samples
        if after is not None and (before is None or after.at > before.at):
            newest[host.id] = after
        current = states[host.id]
        found = rules.observations_from_report(row.body, run.thresholds, previous=current)
        found = storms.calm(found, current, run.config.monitoring.many_problems_at_once)
        found.append(rules.heartbeat_observation(now, host.heartbeat_interval_s, now))
        for observation in found:
            key = (host.id, observation.check_key)
            depends_on[key] = versions.get(key)
        changed, transitions = _fold(run, found, current)
        current.update(changed)
        pending.setdefault(host.id, {}).update(changed)
        if transitions:
            segments.append(Segment(pending, host, tuple(transitions)))
            pending = {}
    segments.append(Segment(pending))
    keys = [(row.host_id, row.seq) for row in rows]
    return Plan(now, [row.id for row in rows], keys, depends_on, segments, samples, newest)


def apply_plan(conn: Connection, config: CollectorConfig, plan: Plan) -> int:
    """Claim the plan's reports and store its states and fault decisions; returns how many
    reports. Raises ``Conflict`` (roll back) when its facts changed since it was made."""
    hold_evaluation_lock(conn)  # another collector's sweep must not commit between check and write
    if not report_store.claim(conn, plan.report_ids, plan.now):
        raise Conflict("another evaluator claimed some of these reports")
    stored = watch_states.state_versions(conn, {host_id for host_id, _ in plan.depends_on})
    if any(stored.get(key) != version for key, version in plan.depends_on.items()):
        raise Conflict("check states changed while the reports were evaluated")
    return _store(conn, config, plan)


def _store(conn: Connection, config: CollectorConfig, plan: Plan) -> int:
    """The plan's samples, states and fault decisions, its reports claimed."""
    series_store.record(conn, plan.samples)
    run = Run(conn, config, plan.now)
    for segment in plan.segments:
        run.save_states(segment.states)
        if segment.host is not None:
            host = segment.host
            act_on(run, host.customer_id, host.id, list(segment.transitions))
            # A report is one moment of one host: its faults are mailed as if it had been
            # evaluated alone, so a batch decides what one report at a time does.
            run.announce_openings()
    return len(plan.report_ids)


def process_reports(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    """Evaluate one batch of stored, unevaluated reports, oldest first, in this transaction;
    returns how many. Raises ``Conflict`` if another evaluator got there first."""
    plan = plan_reports(conn, config, now)
    return 0 if plan is None else apply_plan(conn, config, plan)


def process_all(
    conn: Connection,
    config: CollectorConfig,
    now: datetime,
    bodies: Mapping[tuple[str, int], Any] | None = None,
) -> int:
    """Evaluate the stored, unevaluated reports batch after batch in this transaction, until
    a batch finds fewer than it could take: all there were when it began. ``bodies`` are
    bodies at hand, as ``plan_reports`` takes them. Returns how many were evaluated.

    The evaluation lock is held from the start and each batch claimed as it is read, so no
    one can change what it is evaluated from (``apply_plan``'s checks, made in advance)."""
    hold_evaluation_lock(conn)
    done = 0
    while plan := _evaluate(
        conn, config, now, report_store.claim_oldest(conn, BATCH_SIZE, now, bodies)
    ):
        done += _store(conn, config, plan)
        if len(plan.report_ids) < BATCH_SIZE:
            break
    return done


def process_new(
    conn: Connection, config: CollectorConfig, now: datetime, batch: Sequence[IncomingReport]
) -> int:
    """Store the reports and evaluate the new ones in this transaction, in batches as
    ``process_all`` would; returns how many. They are stored already claimed, so no other
    evaluator takes them, and committed with what they decide or not at all."""
    hold_evaluation_lock(conn)
    rows = report_store.store_claimed(conn, batch, now)
    for start in range(0, len(rows), BATCH_SIZE):
        plan = _evaluate(conn, config, now, rows[start : start + BATCH_SIZE])
        if plan is not None:
            _store(conn, config, plan)
    return len(rows)


def sweep(
    conn: Connection, config: CollectorConfig, now: datetime, find_next: bool = True
) -> datetime | None:
    """Heartbeats for every host (evaluated where they can change: ``heartbeats_due``), then
    any mail owed. Returns when a host would next fall silent (None: none, or not ``find_next``)."""
    hold_evaluation_lock(conn)
    run = Run(conn, config, now)
    missed = config.monitoring.heartbeat_missed_intervals
    due, next_silence = heartbeats_due(conn, now, missed, run.policy(rules.HEARTBEAT), find_next)
    states = watch_states.load_many(conn, [host.id for host in due], [rules.HEARTBEAT])
    pending = _Pending(run)
    for host in due:
        last = host.last_seen_at or host.created_at
        heartbeat = rules.heartbeat_observation(last, host.heartbeat_interval_s, now, missed)
        _advance(run, pending, host, [heartbeat], states[host.id])
    pending.flush()
    run.announce_openings()
    mail_owed(run)
    return next_silence


def mail_owed(run: Run) -> None:
    """Any mail owed now: held back by maintenance or by a cause that has cleared, or a
    reminder. The sweep's second half, so the hold on an explained fault lifts within a sweep.
    Only the faults that may owe mail now are read; ``owed_notification`` decides."""
    remind_before = run.now - timedelta(seconds=run.mail_policy.reminder_interval_s)
    for fault_id, state in fault_store.states_owing_mail(run.conn, remind_before):
        decision = owed_notification(state, run.now, run.windows, run.mail_policy)
        if decision is not None:
            run.writer.apply(fault_id, state, decision)


def observe(
    run: Run, host: Host, observations: Iterable[Observation], states: dict[str, WatchState]
) -> None:
    """Fold observations into the host's checks (``states``, updated in place) and act on what
    changed; the faults opened are mailed by ``run.announce_openings``, which the caller runs
    when it has observed all."""
    observe_hosts(run, [(host, observations, states)])


def observe_hosts(run: Run, observed: Iterable[tuple[Host, Iterable[Observation], States]]) -> None:
    """``observe`` for many hosts, one after another, each with its states (updated in place):
    their changed states are saved together up to the next transition, not host by host."""
    pending = _Pending(run)
    for host, observations, states in observed:
        _advance(run, pending, host, observations, states)
    pending.flush()


def _advance(
    run: Run, pending: _Pending, host: Host, observations: Iterable[Observation], states: States
) -> None:
    """``observe`` for a batch: ``states`` is updated in place and the save is deferred, up to
    the first transition, which must be decided with every earlier change in the database."""
    changed, transitions = _fold(run, observations, states)
    states.update(changed)
    pending.add(host.id, changed)
    if transitions:
        pending.flush()
        act_on(run, host.customer_id, host.id, transitions)


def _fold(
    run: Run, observations: Iterable[Observation], states: Mapping[str, WatchState]
) -> tuple[States, list[WatchTransition]]:
    """The states the observations changed (an ignored, stale observation changes nothing)
    and the transitions they made."""
    changed: States = {}
    transitions: list[WatchTransition] = []
    for observation in observations:
        key = observation.check_key
        state = changed.get(key) or states.get(key) or WatchState(key)
        after, made = evaluate(state, observation, run.policy(key), run.now)
        if after is not state:
            changed[key] = after
        transitions += made
    return changed, transitions


def act_on(run: Run, customer_id: str, host_id: str, transitions: list[WatchTransition]) -> None:
    """Decide each transition's fault with the customer's dependencies in view."""
    run.view(customer_id).act_on(host_id, transitions)


def _first(item: tuple[int, Any, Any]) -> int:
    return item[0]
