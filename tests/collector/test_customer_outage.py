"""A customer-wide outage through the fault engine: the decisions of reassessing the whole
customer for every host, at a cost that grows with the hosts, not their square.

The reference is ``act_on`` as it was before customers were read once per run: for each host
with a transition it read every host's check states and the open faults again, assessed them
all and reconciled every open fault. The same timeline goes into two databases of the same
kind, one evaluated with that reference and one with the pipeline as it is; every fault,
event, incident, mail and check state must come out the same, ids included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, select

from agent import protocol
from collector import pipeline
from collector.config import CollectorConfig, MailSettings
from collector.database import Database
from collector.domain.checks import Transition
from collector.domain.dependencies import HostFacts, assess, is_derived, reconcile_derived
from collector.domain.faults import FaultKey, decide
from collector.probe_pipeline import CheckRun, record_runs
from collector.probes.base import ProbeResult, Verdict
from collector.store import checks as check_store
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.db import make_engine, migrate
from collector.store.probe_results import HostCheck
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import check_states, fault_events, faults, incidents, outbox
from tests.support.collector import collector_config
from tests.support.postgres import postgres_schema_url

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
INTERVAL = 60.0
BIG = [f"big-{index:02d}" for index in range(8)]  # big-07 has no remote check: agent only
SMALL = ["small-1", "small-2"]


def _reassessing_everything(
    run: pipeline.Run, customer_id: str, host_id: str, transitions: list[Transition]
) -> None:
    """The reference: ``act_on`` reading and assessing the whole customer for every host."""
    hosts = [
        HostFacts(host, customer_id, None, frozenset(checks), frozenset(raised))
        for host, (checks, raised) in check_store.raised_by_host(run.conn, customer_id).items()
    ]
    outcome = assess(hosts)
    open_faults = fault_store.open_states(run.conn, customer_id)
    for transition in transitions:
        key = FaultKey(customer_id, host_id, transition.check_key)
        fault_id, fault = open_faults.get(key, (None, None))
        by = outcome.suppressed_by(key)
        decision = decide(transition, key, fault, run.windows, suppressed_by=by)
        if decision is not None:
            open_faults[key] = run.writer.apply(fault_id, fault, decision)
    open_faults = fault_store.open_states(run.conn, customer_id)
    derived = [s for k, (_, s) in open_faults.items() if is_derived(k.check_key)]
    for decision in reconcile_derived(outcome, derived, run.now, run.windows):
        fault_id, fault = open_faults.get(decision.key, (None, None))
        run.writer.apply(fault_id, fault, decision)
    for key, (fault_id, fault) in fault_store.open_states(run.conn, customer_id).items():
        wanted = outcome.suppressed_by(key)
        if not is_derived(key.check_key) and fault.suppressed_by != wanted:
            run.writer.set_suppression(fault_id, fault, wanted)


@pytest.fixture
def config(tmp_path: Path) -> CollectorConfig:
    return collector_config("sqlite://", tmp_path, mail=MailSettings(noc="noc@vendor.example"))


@contextmanager
def _database(url: str) -> Iterator[Database]:
    engine = make_engine(url)
    migrate(engine)
    database = Database(engine)
    try:
        yield database
    finally:
        database.close()


@contextmanager
def _second_url(first: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``first``."""
    if first.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as other:
        yield other


def _seed(conn: Connection) -> list[HostCheck]:
    start = MONDAY - timedelta(days=30)
    for customer, hosts in (("big", BIG), ("small", SMALL)):
        inventory.add_customer(conn, customer, f"{customer.title()} Ltd", MONDAY)
        inventory.set_contacts(conn, customer, [("Jo", f"jo@{customer}.example")])
        inventory.add_contract(conn, customer, "cat1", start, start + timedelta(days=365))
        for host in hosts:
            inventory.add_host(conn, host, customer, MONDAY, kind="pbx", interval_s=INTERVAL)
    remote = [host for host in BIG + SMALL if host != BIG[-1]]
    return [probe_store.add_check(conn, host, "tcp", f"{host}:22", MONDAY) for host in remote]


def _reports(minute: int, hosts: list[str]) -> list[IncomingReport]:
    """Every other PBX of the big customer loses its trunk from minute 1, its AMI from 3."""
    at = MONDAY + timedelta(minutes=minute)
    reports = []
    for host in hosts:
        failing = host in BIG[::2]
        trunk_down, ami_down = failing and 1 <= minute <= 4, failing and 3 <= minute <= 4
        metrics = {
            "reachable": not ami_down,
            "endpoints": [{"name": "trunk-a", "trunk": True,
                           "device_state": "Unavailable" if trunk_down else "Not in use"}],
        }  # fmt: skip
        probes = {"asterisk": {"status": "ok", "metrics": metrics, "error": None}}
        body = protocol.build_report(
            host_id=host, seq=minute, sampled_at=at, interval_s=INTERVAL, agent_version="t",
            probes=probes,
        )  # fmt: skip
        reports.append(IncomingReport(host, minute, at, body))
    return reports


def _probe_runs(checks: list[HostCheck], minute: int, verdict: Verdict) -> list[CheckRun]:
    at = MONDAY + timedelta(minutes=minute)
    return [
        CheckRun(check, ProbeResult("tcp", check.target, verdict, None, verdict.value), at)
        for check in checks
    ]


def _timeline(db: Database, config: CollectorConfig) -> None:
    """Half of the PBXs lose a trunk, then their AMI; then remote access to every host, one batch
    at a time; then every agent falls silent in one sweep; then most come back."""
    checks = db.transaction(_seed)
    for minute in (1, 2, 3, 4):
        reports = _reports(minute, BIG + SMALL)
        db.transaction(store_reports, reports, reports[0].sampled_at)
        db.transaction(pipeline.process_reports, config, reports[0].sampled_at)
    for minute in (5, 6):
        at = MONDAY + timedelta(minutes=minute)
        db.transaction(record_runs, config, _probe_runs(checks, minute, Verdict.CRITICAL), at)
    db.transaction(pipeline.sweep, config, MONDAY + timedelta(minutes=7, seconds=1))
    back = BIG[:5] + SMALL[:1]
    for minute in (9, 10):
        reports = _reports(minute, back)
        db.transaction(store_reports, reports, reports[0].sampled_at)
        db.transaction(pipeline.process_reports, config, reports[0].sampled_at)
        alive = [check for check in checks if check.host_id in back]
        at = MONDAY + timedelta(minutes=minute)
        db.transaction(record_runs, config, _probe_runs(alive, minute, Verdict.OK), at)


def _outcome(conn: Connection) -> dict[str, list[Any]]:
    """Every row the engine writes, in id order (rows compare as tuples)."""
    tables = {"faults": faults, "events": fault_events, "incidents": incidents, "mail": outbox}
    found = {name: list(conn.execute(select(t).order_by(t.c.id))) for name, t in tables.items()}
    states = select(check_states).order_by(check_states.c.host_id, check_states.c.check_key)
    found["states"] = list(conn.execute(states))
    return found


def test_it_decides_a_customer_wide_outage_as_reassessing_the_customer_for_each_host_did(
    database_url: str,
    tmp_path: Path,
    config: CollectorConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _second_url(database_url, tmp_path) as other, _database(other) as reference:
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "act_on", _reassessing_everything)
            _timeline(reference, config)
        expected = reference.transaction(_outcome)
    with _database(database_url) as db:
        _timeline(db, config)
        assert db.transaction(_outcome) == expected

    # The comparison means something only if the timeline made dependencies work.
    keys = {(row.host_id, row.check_key) for row in expected["faults"]}
    assert {(None, "site.down"), ("big-00", "host.down"), ("big-00", "asterisk.ami")} <= keys
    history = " ".join(row.detail for row in expected["events"])
    for cause in ("asterisk.ami", "host.down", "site.down"):
        assert f"explained by {cause}" in history
    assert "held: suppressed:host.down" in history and "held: suppressed:site.down" in history
    assert "no longer explained" in history
    assert {row.kind for row in expected["events"]} >= {"open", "update", "resolve"}


def _silent_customer(conn: Connection, hosts: int) -> None:
    start = MONDAY - timedelta(days=30)
    inventory.add_customer(conn, "big", "Big Ltd", MONDAY)
    inventory.set_contacts(conn, "big", [("Jo", "jo@big.example")])
    inventory.add_contract(conn, "big", "cat1", start, start + timedelta(days=365))
    for index in range(hosts):
        inventory.add_host(conn, f"big-{index:03d}", "big", MONDAY, interval_s=INTERVAL)


def _fault_keys(conn: Connection) -> list[str]:
    return list(conn.scalars(select(faults.c.check_key).order_by(faults.c.id)))


def _store_work_of_an_outage(url: str, config: CollectorConfig, hosts: int) -> tuple[int, int]:
    """Statements run, and rows read back, by the sweep in which every host of one customer
    falls silent: its hosts' heartbeat faults open, then its site goes down."""
    counted = {"statements": 0, "rows": 0}
    counting = False

    def count_statement(*_: Any) -> None:
        counted["statements"] += counting

    def count_rows(dbapi_connection: Any, _record: Any) -> None:
        def row(_cursor: Any, values: tuple[Any, ...]) -> tuple[Any, ...]:
            counted["rows"] += counting
            return values  # unchanged: what SQLAlchemy would have got

        dbapi_connection.row_factory = row

    engine = make_engine(url)
    event.listen(engine, "connect", count_rows)
    event.listen(engine, "before_cursor_execute", count_statement)
    migrate(engine)
    db = Database(engine)
    try:
        db.transaction(_silent_customer, hosts)
        counting = True
        db.transaction(pipeline.sweep, config, MONDAY + timedelta(minutes=3, seconds=1))
        counting = False
        opened = db.transaction(_fault_keys)
        assert opened == ["agent.heartbeat"] * hosts + ["site.down"]
    finally:
        db.close()
    return counted["statements"], counted["rows"]


def test_it_reads_the_store_in_proportion_to_the_hosts_when_a_whole_customer_falls_silent(
    tmp_path: Path, config: CollectorConfig
) -> None:
    """Rows read are counted by SQLite's row factory, which sees every row the driver returns
    (reading the whole customer again for each host read 306 rows for 10 hosts, 4,221 for 40)."""
    ten = _store_work_of_an_outage(f"sqlite:///{tmp_path / 'ten.db'}", config, 10)
    forty = _store_work_of_an_outage(f"sqlite:///{tmp_path / 'forty.db'}", config, 40)

    statements, rows = 0, 1
    assert forty[statements] <= 4 * ten[statements], (ten, forty)
    assert forty[rows] <= 4 * ten[rows], (ten, forty)
