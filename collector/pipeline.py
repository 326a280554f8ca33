"""Reports and sweeps through the fault engine, each inside one database transaction.

    report ─rules─▶ observations ─evaluate─▶ check states + transitions
           ─assess (dependencies)─▶ decide ─▶ fault rows, events, incidents, outbox mail

The domain modules decide; this module only loads their facts and stores their decisions,
so a fault and the mail announcing it are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Connection

from collector.config import CollectorConfig
from collector.domain import dependencies, rules
from collector.domain.checks import CheckState, Observation, Transition, evaluate
from collector.domain.faults import FaultKey, decide
from collector.domain.faults import notifications_due as owed_notification
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Levels, NotificationPolicy, PolicyBook, Thresholds
from collector.fault_writer import FaultWriter
from collector.incident_policy import IncidentOpener
from collector.store import checks as check_store
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store import reports as report_store
from collector.store.inventory import Host


@dataclass
class Run:
    """One transaction's worth of engine work: its facts, loaded once."""

    conn: Connection
    config: CollectorConfig
    now: datetime
    policies: PolicyBook = field(default_factory=PolicyBook)

    @cached_property
    def thresholds(self) -> Thresholds:
        m = self.config.monitoring
        disk = Levels(m.disk_warning_percent, m.disk_critical_percent, 5.0)
        return Thresholds(disk=disk, heartbeat_missed_intervals=m.heartbeat_missed_intervals)

    @cached_property
    def windows(self) -> tuple[MaintenanceWindow, ...]:
        return tuple(maintenance_store.active_windows(self.conn))

    @cached_property
    def writer(self) -> FaultWriter:
        return FaultWriter(self.conn, self.config, self.now, IncidentOpener(self.config))


def process_reports(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    """Evaluate one batch of stored, unevaluated reports; returns how many."""
    rows = report_store.unprocessed_reports(conn)
    if not rows:
        return 0
    run = Run(conn, config, now)
    hosts: dict[str, Host] = {}
    for row in rows:
        host = hosts.get(row.host_id) or inventory.get_host(conn, row.host_id)
        hosts[host.id] = host
        states = check_store.load(conn, host.id)
        found = rules.observations_from_report(row.body, run.thresholds, previous=states)
        found.append(rules.heartbeat_observation(now, host.interval_s, now))
        observe(run, host, found, states)
    report_store.mark_processed(conn, [row.id for row in rows], now)
    return len(rows)


def sweep(conn: Connection, config: CollectorConfig, now: datetime) -> None:
    """Heartbeats for every host, then any mail owed: held back, or a reminder."""
    run = Run(conn, config, now)
    missed = config.monitoring.heartbeat_missed_intervals
    for host in inventory.list_hosts(conn):
        last = host.last_seen_at or host.created_at
        heartbeat = rules.heartbeat_observation(last, host.interval_s, now, missed)
        observe(run, host, [heartbeat], check_store.load(conn, host.id, [rules.HEARTBEAT]))
    policy = NotificationPolicy(reminder_interval_s=config.mail.reminder_interval_s)
    for fault_id, state in fault_store.states_owing_mail(conn):
        decision = owed_notification(state, now, run.windows, policy)
        if decision is not None:
            run.writer.apply(fault_id, state, decision)


def observe(
    run: Run, host: Host, observations: Iterable[Observation], states: dict[str, CheckState]
) -> None:
    """Fold observations into the host's checks and act on what changed."""
    changed: dict[str, CheckState] = {}
    transitions: list[Transition] = []
    for observation in observations:
        key = observation.check_key
        state = changed.get(key) or states.get(key) or CheckState(key)
        changed[key], made = evaluate(state, observation, run.policies.for_check(key), run.now)
        transitions += made
    check_store.save(run.conn, host.id, changed, run.now)
    if transitions:
        act_on(run, host.customer_id, host.id, transitions)


def act_on(run: Run, customer_id: str, host_id: str, transitions: list[Transition]) -> None:
    """Decide each transition's fault with the customer's dependencies in view."""
    outcome = dependencies.assess(_customer_facts(run.conn, customer_id))
    open_faults = fault_store.open_states(run.conn, customer_id)
    for transition in transitions:
        key = FaultKey(customer_id, host_id, transition.check_key)
        fault_id, fault = open_faults.get(key, (None, None))
        decision = decide(
            transition, key, fault, run.windows, suppressed_by=outcome.suppressed_by(key)
        )
        if decision is not None:
            open_faults[key] = run.writer.apply(fault_id, fault, decision)
    _reconcile(run, customer_id, outcome)


def _reconcile(run: Run, customer_id: str, outcome: dependencies.DependencyOutcome) -> None:
    """Derived faults (host down, site down) follow the assessment; suppression follows too."""
    open_faults = fault_store.open_states(run.conn, customer_id)
    derived = [s for k, (_, s) in open_faults.items() if dependencies.is_derived(k.check_key)]
    for decision in dependencies.reconcile_derived(outcome, derived, run.now, run.windows):
        fault_id, fault = open_faults.get(decision.key, (None, None))
        run.writer.apply(fault_id, fault, decision)
    for key, (fault_id, fault) in fault_store.open_states(run.conn, customer_id).items():
        wanted = outcome.suppressed_by(key)
        if not dependencies.is_derived(key.check_key) and fault.suppressed_by != wanted:
            run.writer.set_suppression(fault_id, fault, wanted)


def _customer_facts(conn: Connection, customer_id: str) -> list[dependencies.HostFacts]:
    return [
        dependencies.host_facts(
            host.id, customer_id, None, check_store.load(conn, host.id).values()
        )
        for host in inventory.list_hosts(conn, customer_id)
    ]
