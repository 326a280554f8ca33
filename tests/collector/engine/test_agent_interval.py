"""The heartbeat follows the interval the agent reports, unless the host sets its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from agent import protocol
from collector.config.settings import CollectorConfig
from collector.engine import pipeline
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _host(conn: Connection, interval_s: float | None = None) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", T0)
    inventory.add_host(conn, "pbx", "acme", T0, kind="pbx", interval_s=interval_s)


def _report(db: Database, config: CollectorConfig, seq: int, at: datetime, every: float) -> None:
    body = protocol.build_report(
        host_id="pbx", seq=seq, sampled_at=at, interval_s=every, agent_version="t", probes={}
    )
    db.transaction(store_reports, [IncomingReport("pbx", seq, at, body)], at)
    db.transaction(pipeline.process_reports, config, at)


def _silent_faults(db: Database, config: CollectorConfig, at: datetime) -> list[str]:
    db.transaction(pipeline.sweep, config, at)
    return [f.check_key for f in db.transaction(fault_store.list_faults)]


def test_it_expects_reports_at_the_interval_the_agent_announces(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_host)
    _report(db, config, 1, T0, 200.0)
    host = db.transaction(inventory.get_host, "pbx")
    assert (host.heartbeat_interval_s, host.interval_source) == (200.0, "agent")
    # Three of the agent's intervals, not three of the former 60 s default.
    assert _silent_faults(db, config, T0 + timedelta(seconds=599)) == []
    assert _silent_faults(db, config, T0 + timedelta(seconds=601)) == ["agent.heartbeat"]


def test_it_raises_no_fault_when_the_agent_slows_its_reports(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_host)
    at = T0
    for seq, every in enumerate((60.0, 60.0, 300.0, 300.0, 300.0, 30.0, 30.0), start=1):
        _report(db, config, seq, at, every)
        # Sweeps run every few seconds; every one up to the next report finds the agent alive.
        for waited in range(15, int(every), 15):
            assert _silent_faults(db, config, at + timedelta(seconds=waited)) == []
        at += timedelta(seconds=every)


def test_it_lets_the_hosts_own_interval_override_the_agents(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_host, 60.0)
    _report(db, config, 1, T0, 200.0)
    host = db.transaction(inventory.get_host, "pbx")
    assert (host.heartbeat_interval_s, host.interval_source, host.agent_interval_s) == (
        60.0, "host", 200.0,
    )  # fmt: skip
    assert _silent_faults(db, config, T0 + timedelta(seconds=181)) == ["agent.heartbeat"]


def test_it_keeps_the_newest_reports_interval_when_an_old_one_is_replayed(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_host)
    _report(db, config, 2, T0, 120.0)
    _report(db, config, 1, T0 + timedelta(seconds=5), 30.0)  # spooled, sent late
    host = db.transaction(inventory.get_host, "pbx")
    assert host.agent_interval_s == 120.0
