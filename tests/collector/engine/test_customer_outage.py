"""A customer-wide outage through the fault engine: the decisions of reassessing the whole
customer for every host, at a cost that grows with the hosts, not their square.

The reference is ``act_on`` as it was before customers were read once per run: for each host
with a transition it read every host's check states and the open faults again, assessed them
all and reconciled every open fault, and mailed each fault as it opened. The same timeline goes
into two databases of the same kind, one evaluated with that reference and one with the
pipeline as it is; every fault, event and check state must come out the same, ids included.
The mail differs where it was meant to: the pipeline mails a fault's opening at the end of its
run, so a fault explained by another opened later in the same run is not mailed. Nor does it get
an incident, since an incident opens with its fault's opening mail: every other incident is the
same, numbered one fewer after it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, select

from agent import protocol
from collector.config.dependencies import dependencies_for
from collector.config.settings import CollectorConfig
from collector.domain.dependencies import HostFacts, assess, is_derived, reconcile_derived
from collector.domain.faults import FaultKey, decide
from collector.domain.watches import WatchTransition
from collector.engine import pipeline
from collector.engine.probe_results import record_runs
from collector.probes.base import Verdict
from collector.store import faults as fault_store
from collector.store import inventory, watch_states
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.probe_results import HostCheck
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import check_states, fault_events, faults, incidents, outbox
from tests.collector.engine.outages import (
    INTERVAL,
    MONDAY,
    NOC_MAIL,
    fault_keys,
    probe_runs,
    silent_customer,
)
from tests.support.collector import collector_config
from tests.support.database import another_database_url, migrated_database

BIG = [f"big-{index:02d}" for index in range(8)]  # big-07 has no remote check: agent only
SMALL = ["small-1", "small-2"]


def _reassessing_everything(
    run: pipeline.Run, customer_id: str, host_id: str, transitions: list[WatchTransition]
) -> None:
    """The reference: ``act_on`` reading and assessing the whole customer for every host."""
    rules = dependencies_for(run.config)
    hosts = [
        HostFacts(
            host,
            customer_id,
            None,
            frozenset(checks),
            frozenset(raised),
            rules.for_host("pbx", customer_id, host),
        )
        for host, (checks, raised) in watch_states.raised_by_host(run.conn, customer_id).items()
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
def config_settings() -> dict[str, Any]:
    return {"mail": NOC_MAIL}


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
        db.transaction(record_runs, config, probe_runs(checks, minute, Verdict.CRITICAL), at)
    db.transaction(pipeline.sweep, config, MONDAY + timedelta(minutes=7, seconds=1))
    back = BIG[:5] + SMALL[:1]
    for minute in (9, 10):
        reports = _reports(minute, back)
        db.transaction(store_reports, reports, reports[0].sampled_at)
        db.transaction(pipeline.process_reports, config, reports[0].sampled_at)
        alive = [check for check in checks if check.host_id in back]
        at = MONDAY + timedelta(minutes=minute)
        db.transaction(record_runs, config, probe_runs(alive, minute, Verdict.OK), at)


def _outcome(conn: Connection) -> dict[str, list[Any]]:
    """Every row the engine writes, in id order (rows compare as tuples)."""
    tables = {"faults": faults, "events": fault_events, "incidents": incidents, "mail": outbox}
    found = {name: list(conn.execute(select(t).order_by(t.c.id))) for name, t in tables.items()}
    states = select(check_states).order_by(check_states.c.host_id, check_states.c.check_key)
    found["states"] = list(conn.execute(states))
    return found


_LEDGER = ("notified_severity", "last_notified_at", "recovery_notified")
_HELD_NOTE = re.compile(r" \(mail held: [^)]*\)$")


def _apart_from_mail(outcome: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The outcome without what the time a mail is decided changes: the mail itself, each
    fault's mail ledger, and the note that a change's mail is held."""
    kept = {name: rows for name, rows in outcome.items() if name not in ("mail", "incidents")}
    kept["faults"] = [row._asdict() | dict.fromkeys(_LEDGER) for row in outcome["faults"]]
    kept["events"] = [
        row._asdict() | {"detail": _HELD_NOTE.sub("", row.detail)} for row in outcome["events"]
    ]
    return kept


_REFERENCE = re.compile(r"INC-\d{4}-\d{4,}")
#: Which faults an opening lists as explained depends on when it is mailed: the reference
#: mails as it opens, before the faults opened with it are explained.
_EXPLAINED = re.compile(r"\nAlso affected, explained by this fault [^\n]*\n(  - [^\n]*\n)*")
_EXPLAINED_HTML = re.compile(r"<h2[^>]*>Also affected, explained by this fault.*?</ul>\n", re.S)


def _plain(text: str) -> str:
    return _EXPLAINED_HTML.sub("", _EXPLAINED.sub("", _REFERENCE.sub("INC-…", text)))


def _mail_about(outcome: dict[str, list[Any]], fault_ids: Collection[int]) -> list[Any]:
    """The mail about faults other than ``fault_ids``, in order, without the outbox ids, the
    incident references they quote (the incidents are numbered one fewer after a held one), nor
    the list of faults explained."""
    return [
        tuple(_plain(v) if isinstance(v, str) else v for v in row[1:])
        for row in outcome["mail"]
        if row.fault_id not in fault_ids
    ]


def _incidents_of(outcome: dict[str, list[Any]], fault_ids: Collection[int]) -> list[Any]:
    """The incidents of faults other than ``fault_ids``, in order, without their own ids."""
    return [row[1:] for row in outcome["incidents"] if row.fault_id not in fault_ids]


def _opening_mailed(outcome: dict[str, list[Any]]) -> set[int]:
    return {row.id for row in outcome["faults"] if row.notified_severity}


def test_it_decides_a_customer_wide_outage_as_reassessing_the_customer_for_each_host_did(
    database_url: str,
    tmp_path: Path,
    config: CollectorConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        another_database_url(database_url, tmp_path) as other,
        migrated_database(other) as reference,
    ):
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "act_on", _reassessing_everything)
            _timeline(reference, config)
        expected = reference.transaction(_outcome)
    with migrated_database(database_url) as db:
        _timeline(db, config)
        found = db.transaction(_outcome)
    assert _apart_from_mail(found) == _apart_from_mail(expected)

    # The small customer's two hosts became unreachable in one batch of probe results: the
    # reference mailed the first host's host.down (and its recovery) before the second made
    # the site down; the pipeline mails only the site. All other mail is the same, in order.
    held = _opening_mailed(expected) - _opening_mailed(found)
    assert {(row.host_id, row.check_key) for row in expected["faults"] if row.id in held} == {
        ("small-1", "host.down")
    }
    assert _opening_mailed(found) <= _opening_mailed(expected)
    assert _mail_about(found, held) == _mail_about(expected, held)
    assert not any(row.fault_id in held for row in found["mail"])
    # An incident opens with a fault's opening mail, in both: the reference opened one for
    # that host.down, the pipeline none. Every other incident is the same.
    for outcome in (expected, found):
        assert {row.fault_id for row in outcome["incidents"]} == _opening_mailed(outcome)
    assert _incidents_of(found, held) == _incidents_of(expected, held)

    # The comparison means something only if the timeline made dependencies work.
    keys = {(row.host_id, row.check_key) for row in expected["faults"]}
    assert {(None, "site.down"), ("big-00", "host.down"), ("big-00", "asterisk.ami")} <= keys
    history = " ".join(row.detail for row in expected["events"])
    for cause in ("asterisk.ami", "host.down", "site.down"):
        assert f"explained by {cause}" in history
    assert "held: suppressed:host.down" in history and "held: suppressed:site.down" in history
    assert "no longer explained" in history
    assert {row.kind for row in expected["events"]} >= {"open", "update", "resolve"}


def _store_work_of_an_outage(url: str, config: CollectorConfig, hosts: int) -> tuple[int, int]:
    """Statements SQLite ran, and rows read back, by the sweep in which every host of one customer
    falls silent: its hosts' heartbeat faults open, then its site goes down."""
    counted = {"statements": 0, "rows": 0}
    counting = False

    def count_statement(_sql: str) -> None:
        counted["statements"] += counting

    def count_at_the_driver(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's own trace and row factory see every statement and row, whether Core ran
        # it or a hot statement went straight to the driver's cursor.
        def row(_cursor: Any, values: tuple[Any, ...]) -> tuple[Any, ...]:
            counted["rows"] += counting
            return values  # unchanged: what SQLAlchemy would have got

        dbapi_connection.row_factory = row
        dbapi_connection.set_trace_callback(count_statement)

    engine = make_engine(url)
    event.listen(engine, "connect", count_at_the_driver)
    migrate(engine)
    db = Database(engine)
    try:
        db.transaction(silent_customer, hosts)
        counting = True
        db.transaction(pipeline.sweep, config, MONDAY + timedelta(minutes=3, seconds=1))
        counting = False
        opened = db.transaction(fault_keys)
        assert opened == ["agent.heartbeat"] * hosts + ["site.down"]
    finally:
        db.close()
    return counted["statements"], counted["rows"]


def test_it_reads_the_store_in_proportion_to_the_hosts_when_a_whole_customer_falls_silent(
    tmp_path: Path,
) -> None:
    """Rows read are counted by SQLite's row factory, which sees every row the driver returns
    (reading the whole customer again for each host read 306 rows for 10 hosts, 4,221 for 40)."""
    config = collector_config("sqlite://", tmp_path, mail=NOC_MAIL)  # the URL goes unused
    ten = _store_work_of_an_outage(f"sqlite:///{tmp_path / 'ten.db'}", config, 10)
    forty = _store_work_of_an_outage(f"sqlite:///{tmp_path / 'forty.db'}", config, 40)

    statements, rows = 0, 1
    assert forty[statements] <= 4 * ten[statements], (ten, forty)
    assert forty[rows] <= 4 * ten[rows], (ten, forty)
