"""A customer-wide outage as the customer sees it: one mail about the site, not one per host;
and the hosts still down mailed once the site no longer explains them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig
from collector.engine import pipeline
from collector.engine.probe_results import record_runs
from collector.probes.base import Verdict
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.probe_results import HostCheck
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import fault_events, faults, outbox
from tests.collector.engine.outages import (
    INTERVAL,
    MONDAY,
    NOC_MAIL,
    fault_keys,
    probe_runs,
    silent_customer,
)
from tests.support.database import migrated_database


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": NOC_MAIL}


def _mail(conn: Connection) -> list[tuple[str, str | None, str, str]]:
    """Each mail as (kind, host, check, recipient), in the order written."""
    query = (
        select(outbox.c.kind, faults.c.host_id, faults.c.check_key, outbox.c.recipient)
        .join(faults, faults.c.id == outbox.c.fault_id)
        .order_by(outbox.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]


def _history(conn: Connection, check_key: str) -> dict[str, str]:
    """Host id → the notes of its ``check_key`` fault's events, joined."""
    query = (
        select(faults.c.host_id, fault_events.c.detail)
        .join(faults, faults.c.id == fault_events.c.fault_id)
        .where(faults.c.check_key == check_key)
        .order_by(fault_events.c.id)
    )
    notes: dict[str, str] = {}
    for host_id, detail in conn.execute(query):
        notes[host_id] = f"{notes.get(host_id, '')} | {detail}"
    return notes


def _report_back(db: Database, config: CollectorConfig, hosts: list[str], at: datetime) -> None:
    """The hosts' agents report (nothing wrong), evaluated in one batch."""
    reports = []
    for host in hosts:
        body = protocol.build_report(
            host_id=host, seq=1, sampled_at=at, interval_s=INTERVAL, agent_version="t", probes={}
        )
        reports.append(IncomingReport(host, 1, at, body))
    db.transaction(store_reports, reports, at)
    db.transaction(pipeline.process_reports, config, at)


FIVE = [f"big-{index:03d}" for index in range(5)]
SILENT_AT = MONDAY + timedelta(minutes=3, seconds=1)
OPENED_FOR_SITE = [
    ("fault_opened", None, "site.down", "jo@big.example"),
    ("fault_opened", None, "site.down", "noc@vendor.example"),
]
RESOLVED_FOR_SITE = [
    ("fault_resolved", None, "site.down", "jo@big.example"),
    ("fault_resolved", None, "site.down", "noc@vendor.example"),
]


def test_it_mails_the_site_down_only_when_every_host_of_a_customer_falls_silent_in_one_sweep(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        db.transaction(silent_customer, 5)
        db.transaction(pipeline.sweep, config, SILENT_AT)

        assert db.transaction(_mail) == OPENED_FOR_SITE
        assert db.transaction(fault_keys) == ["agent.heartbeat"] * 5 + ["site.down"]
        held = db.transaction(_history, "agent.heartbeat")
        assert sorted(held) == FIVE
        # Each host's fault says why it was not mailed: the first four were explained when the
        # last host made the site down, the last one as it opened.
        assert all("explained by site.down: not mailed" in held[host] for host in FIVE[:4])
        assert "(mail held: suppressed:site.down)" in held[FIVE[4]]
        subject = db.transaction(lambda conn: conn.scalar(select(outbox.c.subject)))
        assert subject == "FAULT: The whole site is down at Big Ltd [INC-2026-0001]"

        db.transaction(pipeline.sweep, config, SILENT_AT + timedelta(minutes=1))
        assert len(db.transaction(_mail)) == 2  # nothing owed: the site explains every host


def test_it_mails_the_site_recovery_only_when_the_hosts_of_a_silent_site_report_again(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        db.transaction(silent_customer, 5)
        db.transaction(pipeline.sweep, config, SILENT_AT)
        back = SILENT_AT + timedelta(minutes=2)
        _report_back(db, config, FIVE, back)
        db.transaction(pipeline.sweep, config, back + timedelta(seconds=1))

        # The hosts' faults resolve unmailed: nobody was told they opened.
        assert db.transaction(_mail) == [*OPENED_FOR_SITE, *RESOLVED_FOR_SITE]
        assert db.transaction(fault_store.list_faults) == []


def test_it_mails_the_hosts_still_silent_once_their_site_is_no_longer_down(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        db.transaction(silent_customer, 5)
        db.transaction(pipeline.sweep, config, SILENT_AT)
        back = SILENT_AT + timedelta(minutes=2)
        _report_back(db, config, FIVE[:1], back)
        db.transaction(pipeline.sweep, config, back + timedelta(seconds=1))

        mail = db.transaction(_mail)
        assert mail[:4] == [*OPENED_FOR_SITE, *RESOLVED_FOR_SITE]
        # No longer explained by the site, the four hosts still silent are each news now.
        assert sorted(mail[4:]) == sorted(
            ("fault_opened", host, "agent.heartbeat", recipient)
            for host in FIVE[1:]
            for recipient in ("jo@big.example", "noc@vendor.example")
        )


def test_it_mails_a_host_that_falls_silent_alone_among_several(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        db.transaction(silent_customer, 5)
        _report_back(db, config, FIVE[1:], MONDAY + timedelta(minutes=2))
        db.transaction(pipeline.sweep, config, SILENT_AT)

        assert db.transaction(_mail) == [
            ("fault_opened", FIVE[0], "agent.heartbeat", "jo@big.example"),
            ("fault_opened", FIVE[0], "agent.heartbeat", "noc@vendor.example"),
        ]


def _reachable_customer(conn: Connection, hosts: list[str], ports: list[int]) -> list[HostCheck]:
    start = MONDAY - timedelta(days=30)
    inventory.add_customer(conn, "big", "Big Ltd", MONDAY)
    inventory.set_contacts(conn, "big", [("Jo", "jo@big.example")])
    inventory.add_contract(conn, "big", "cat1", start, start + timedelta(days=365))
    checks = []
    for host in hosts:
        inventory.add_host(conn, host, "big", MONDAY, interval_s=INTERVAL)
        for port in ports:
            checks.append(probe_store.add_check(conn, host, "tcp", f"{host}:{port}", MONDAY))
    return checks


def _unreachable(db: Database, config: CollectorConfig, checks: list[HostCheck]) -> None:
    """Two batches of failed probes, one a minute: enough to raise the remote checks."""
    for minute in (1, 2):
        at = MONDAY + timedelta(minutes=minute)
        db.transaction(record_runs, config, probe_runs(checks, minute, Verdict.CRITICAL), at)


def test_it_mails_the_site_down_only_when_every_host_becomes_unreachable_in_one_batch(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        checks = db.transaction(_reachable_customer, FIVE, [22])
        _unreachable(db, config, checks)

        assert db.transaction(_mail) == OPENED_FOR_SITE
        keys = db.transaction(fault_keys)
        assert sorted(set(keys)) == ["host.down", "remote.tcp", "site.down"]
        assert keys.count("host.down") == 5


def test_it_mails_host_down_only_when_a_host_is_unreachable_and_its_agent_silent(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        checks = db.transaction(_reachable_customer, ["pbx"], [22, 443])
        _unreachable(db, config, checks)
        db.transaction(pipeline.sweep, config, SILENT_AT)

        assert db.transaction(_mail) == [
            ("fault_opened", "pbx", "host.down", "jo@big.example"),
            ("fault_opened", "pbx", "host.down", "noc@vendor.example"),
        ]
        assert set(db.transaction(fault_keys)) == {"host.down", "remote.tcp", "agent.heartbeat"}


def test_it_mails_a_fault_that_opens_and_clears_within_one_batch_as_it_did(
    database_url: str, config: CollectorConfig
) -> None:
    with migrated_database(database_url) as db:
        (check,) = db.transaction(_reachable_customer, ["pbx"], [22])
        verdicts = [Verdict.CRITICAL, Verdict.CRITICAL, Verdict.OK, Verdict.OK]
        runs = [run for at, v in enumerate(verdicts, 1) for run in probe_runs([check], at, v)]
        db.transaction(record_runs, config, runs, MONDAY + timedelta(minutes=4))

        assert db.transaction(_mail) == [
            ("fault_opened", "pbx", "remote.tcp", "jo@big.example"),
            ("fault_opened", "pbx", "remote.tcp", "noc@vendor.example"),
            ("fault_resolved", "pbx", "remote.tcp", "jo@big.example"),
            ("fault_resolved", "pbx", "remote.tcp", "noc@vendor.example"),
        ]
