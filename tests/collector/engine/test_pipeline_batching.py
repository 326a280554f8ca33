"""Evaluating reports in batches decides exactly what evaluating them one at a time decides.

The same timeline of reports (disks filling, a service flapping, a PBX losing a trunk and
then its AMI, a probe failing, a report replayed late) goes into two databases of the same
kind: one evaluates each report in its own transaction, the other in batches, directly or
the way the collector's Monitor does it (planned on a reader, applied on the writer). Every
fault, event, incident, mail and check state must come out the same, ids included.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings
from collector.domain.policy import Status
from collector.domain.watches import WatchState
from collector.engine import pipeline
from collector.engine.monitor import Monitor
from collector.store import inventory, watch_states
from collector.store import reports as report_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import check_states, fault_events, faults, incidents, outbox
from tests.support.database import another_database_url

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
MINUTES = 14
END = MONDAY + timedelta(minutes=MINUTES + 1)  # "now" of every evaluation, in every run


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc="noc@vendor.example")}


@pytest.fixture
def twins(database_url: str, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two fresh databases of the same kind, seeded alike."""
    with another_database_url(database_url, tmp_path) as other:
        databases = []
        for url in (database_url, other):
            engine = make_engine(url)
            migrate(engine)
            databases.append(Database(engine))
            databases[-1].transaction(_seed)
        yield databases[0], databases[1]
        for database in databases:
            database.close()


def _seed(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    start = MONDAY - timedelta(days=30)
    inventory.add_contract(conn, "acme", "cat1", start, start + timedelta(days=365))
    for host, kind in (("pbx-1", "pbx"), ("srv-1", "server"), ("srv-2", "server")):
        inventory.add_host(conn, host, "acme", MONDAY, kind=kind, interval_s=60.0)


def _probes(host: str, minute: int) -> dict[str, Any]:
    """What each host's agent reports at ``minute``."""
    metrics: dict[str, Any]
    if host == "srv-1":  # a disk fills, then is cleaned; the system probe fails
        used = [50, 70, 88, 90, 96, 97, 97, 91, 80, 60, 60, 60, 60, 60][minute]
        metrics = {"filesystems": {"/": {"used_percent": used, "inodes_used_percent": 3}}}
        status = "error" if minute in (6, 7) else "ok"
        return {"system": {"status": status, "metrics": metrics, "error": None}}
    if host == "srv-2":  # nginx fails for good, then flaps
        running = [True, False, False, False, True, False, True, False, True, False][minute % 10]
        metrics = {"processes": {"nginx": {"running": running}}}
        return {"services": {"status": "ok", "metrics": metrics, "error": None}}
    trunk_down, ami_down = 3 <= minute <= 10, 6 <= minute <= 8
    metrics = {
        "reachable": not ami_down,
        "endpoints": [
            {"name": "trunk-a", "trunk": True, "device_state": "Unavailable" if trunk_down
             else "Not in use"},
            {"name": "desk-7", "trunk": False, "device_state": "Not in use"},
        ],
    }  # fmt: skip
    return {"asterisk": {"status": "ok", "metrics": metrics, "error": None}}


def _timeline() -> list[IncomingReport]:
    reports = []
    for minute in range(MINUTES):
        at = MONDAY + timedelta(minutes=minute, seconds=7)
        for host in ("srv-1", "srv-2", "pbx-1"):
            reports.append(_incoming(host, minute + 1, at, _probes(host, minute)))
    # A report replayed late from the agent's spool: older than what was seen since.
    reports.append(_incoming("srv-1", 100, MONDAY, _probes("srv-1", 6)))
    return reports


def _incoming(host: str, seq: int, at: datetime, probes: dict[str, Any]) -> IncomingReport:
    body = protocol.build_report(
        host_id=host, seq=seq, sampled_at=at, interval_s=60, agent_version="t", probes=probes
    )
    return IncomingReport(host, seq, at, body)


def _store_all(db: Database) -> None:
    for report in _timeline():
        db.transaction(store_reports, [report], report.sampled_at)


def _one_at_a_time(db: Database, config: CollectorConfig) -> None:
    for report in _timeline():
        db.transaction(store_reports, [report], report.sampled_at)
        assert db.transaction(pipeline.process_reports, config, END) == 1


def _outcome(conn: Connection) -> dict[str, list[Any]]:
    """Every row the engine writes, in id order (rows compare as tuples)."""
    tables = {"faults": faults, "events": fault_events, "incidents": incidents, "mail": outbox}
    found = {name: list(conn.execute(select(t).order_by(t.c.id))) for name, t in tables.items()}
    states = select(check_states).order_by(check_states.c.host_id, check_states.c.check_key)
    found["states"] = list(conn.execute(states))
    return found


def _stored_in_batches_of(
    batch_size: int,
    twins: tuple[Database, Database],
    config: CollectorConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Database, Database]:
    """The timeline evaluated one report at a time in the reference, and stored unevaluated
    in the other, to be evaluated ``batch_size`` reports at a time."""
    batched, reference = twins
    _one_at_a_time(reference, config)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", batch_size)
    _store_all(batched)
    return batched, reference


@pytest.mark.parametrize("batch_size", [4, 500])
def test_it_decides_the_same_in_one_batch_or_many_as_one_report_at_a_time(
    twins: tuple[Database, Database],
    config: CollectorConfig,
    batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batched, reference = _stored_in_batches_of(batch_size, twins, config, monkeypatch)
    batches = 0
    while batched.transaction(pipeline.process_reports, config, END):
        batches += 1
    assert batches == -(-len(_timeline()) // batch_size)

    expected = reference.transaction(_outcome)
    assert batched.transaction(_outcome) == expected
    _assert_the_timeline_did_its_job(expected)


@pytest.mark.parametrize("batch_size", [4, 500])
def test_it_decides_the_same_claiming_each_batch_as_it_reads_it(
    twins: tuple[Database, Database],
    config: CollectorConfig,
    batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batched, reference = _stored_in_batches_of(batch_size, twins, config, monkeypatch)
    at_hand = {(r.host_id, r.seq): r.body for r in _timeline()[::2]}  # the others are read

    assert batched.transaction(pipeline.process_all, config, END, at_hand) == len(_timeline())
    assert batched.transaction(report_store.unprocessed_count) == 0
    assert batched.transaction(_outcome) == reference.transaction(_outcome)


@pytest.mark.parametrize("batch_size", [4, 500])
def test_it_decides_the_same_storing_and_evaluating_new_reports_in_one_transaction(
    twins: tuple[Database, Database],
    config: CollectorConfig,
    batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batched, reference = twins
    _one_at_a_time(reference, config)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", batch_size)
    timeline = _timeline()

    assert batched.transaction(pipeline.process_new, config, END, timeline) == len(timeline)
    assert batched.transaction(pipeline.process_new, config, END, timeline[:3]) == 0  # stored
    assert batched.transaction(report_store.unprocessed_count) == 0
    assert batched.transaction(_outcome) == reference.transaction(_outcome)


def test_it_claims_as_it_reads_only_what_no_evaluator_claimed_before(
    twins: tuple[Database, Database],
) -> None:
    db, _ = twins
    _first_reports(db)
    first = db.transaction(report_store.unprocessed_reports, 2)
    assert db.transaction(report_store.claim, [row.id for row in first], END)

    claimed = db.transaction(report_store.claim_oldest, 10, END)
    assert [(row.host_id, row.seq) for row in claimed] == [("pbx-1", 1)]
    assert claimed[0].body == _timeline()[2].body
    assert db.transaction(report_store.claim_oldest, 10, END) == []
    assert db.transaction(report_store.unprocessed_count) == 0


async def test_it_decides_the_same_when_the_monitor_plans_on_a_reader(
    twins: tuple[Database, Database], config: CollectorConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, reference = twins
    _one_at_a_time(reference, config)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 10)
    _store_all(batched)
    monitor = Monitor(batched, config, lambda: END)
    monitor.wake(_timeline()[::2])  # half the bodies at hand, as if just stored here
    batches = 0
    while await monitor.process_pending():
        batches += 1
    assert batches == -(-len(_timeline()) // 10)

    assert await batched.read(_outcome) == reference.transaction(_outcome)


def _assert_the_timeline_did_its_job(outcome: dict[str, list[Any]]) -> None:
    """The comparison means something only if the timeline made the engine work."""
    keys = {row.check_key for row in outcome["faults"]}
    assert {"disk:/", "probe:system", "service:nginx", "asterisk.trunk:trunk-a"} <= keys
    kinds = {row.kind for row in outcome["events"]}
    assert {"open", "escalate", "flapping", "suppression", "resolve"} <= kinds
    assert outcome["mail"]


def _first_reports(db: Database) -> None:
    for report in _timeline()[:3]:
        db.transaction(store_reports, [report], report.sampled_at)


def test_it_plans_again_when_a_check_state_changed_meanwhile(
    twins: tuple[Database, Database], config: CollectorConfig
) -> None:
    db, _ = twins
    _first_reports(db)
    stale = db.transaction(pipeline.plan_reports, config, END)
    assert stale is not None
    sweep_meanwhile = {"agent.heartbeat": WatchState("agent.heartbeat", Status.OK, observed_at=END)}
    db.transaction(watch_states.save, "srv-1", sweep_meanwhile, END)

    with pytest.raises(pipeline.Conflict):
        db.transaction(pipeline.apply_plan, config, stale)
    assert db.transaction(report_store.unprocessed_count) == 3  # the claim was rolled back
    assert db.transaction(pipeline.process_reports, config, END) == 3


def test_it_evaluates_a_report_once_when_two_evaluators_race(
    twins: tuple[Database, Database], config: CollectorConfig
) -> None:
    db, reference = twins
    _first_reports(db)
    first = db.transaction(pipeline.plan_reports, config, END)
    second = db.transaction(pipeline.plan_reports, config, END)
    assert first is not None and second is not None

    assert db.transaction(pipeline.apply_plan, config, first) == 3
    with pytest.raises(pipeline.Conflict):
        db.transaction(pipeline.apply_plan, config, second)
    _first_reports(reference)
    reference.transaction(pipeline.process_reports, config, END)
    assert db.transaction(_outcome) == reference.transaction(_outcome)
