"""A batch of probe results over many hosts: their check states are saved together up to each
transition, not host by host, and come out as recording each host's runs on its own does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.engine.probe_results import CheckRun, record_runs
from collector.probes.base import ProbeResult, Verdict
from collector.store import inventory, watch_states
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.probe_results import HostCheck
from tests.support.database import another_database_url, migrated_database

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOSTS = [f"pbx-{index}" for index in range(6)]


def _customer(conn: Connection) -> list[HostCheck]:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    checks = []
    for host in HOSTS:
        inventory.add_host(conn, host, "acme", MONDAY, interval_s=60.0)
        checks.append(probe_store.add_check(conn, host, "tcp", f"{host}:22", MONDAY))
    return checks


def _runs(checks: list[HostCheck], minute: int) -> list[CheckRun]:
    """Every host answers at minute 0; from minute 1 every other one stops answering."""
    at = MONDAY + timedelta(minutes=minute)
    runs = []
    for index, check in enumerate(checks):
        verdict = Verdict.CRITICAL if minute and index % 2 else Verdict.OK
        runs.append(CheckRun(check, ProbeResult("tcp", check.target, verdict, 3.0, "t"), at))
    return runs


@pytest.fixture
def upserts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The check-state saves (one upsert statement each) run by each ``record_runs``
    transaction: counted at ``save_many``, as on SQLite they bypass SQLAlchemy's events."""
    counted: list[int] = []
    save_many = watch_states.save_many

    def count(conn: Connection, states: Mapping[str, Mapping[str, Any]], now: datetime) -> None:
        if any(states.values()) and counted:
            counted[-1] += 1
        save_many(conn, states, now)

    monkeypatch.setattr(watch_states, "save_many", count)
    return counted


def test_it_saves_a_batchs_states_once_when_they_make_no_transition(
    db: Database, config: CollectorConfig, upserts: list[int]
) -> None:
    checks = db.transaction(_customer)
    upserts.append(0)
    assert db.transaction(record_runs, config, _runs(checks, 0), MONDAY) == len(HOSTS)
    assert upserts == [1]
    stored = db.transaction(watch_states.load_many, HOSTS)
    assert all(stored[host] for host in HOSTS)


def test_it_stores_the_states_recording_each_host_alone_stores(
    database_url: str, config: CollectorConfig, tmp_path: Path
) -> None:
    with (
        migrated_database(database_url) as db,
        another_database_url(database_url, tmp_path) as other_url,
        migrated_database(other_url) as alone,
    ):
        checks = db.transaction(_customer)
        alone.transaction(_customer)
        for minute in range(4):
            at = MONDAY + timedelta(minutes=minute)
            db.transaction(record_runs, config, _runs(checks, minute), at)
            for run in _runs(checks, minute):
                alone.transaction(record_runs, config, [run], at)
        batched = db.transaction(watch_states.load_many, HOSTS)
        assert batched == alone.transaction(watch_states.load_many, HOSTS)
        assert any(state.raised for state in batched[HOSTS[1]].values())
