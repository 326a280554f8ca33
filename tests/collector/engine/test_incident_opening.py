"""When incidents open: with a fault's opening mail, not its row. One outage, one incident.

A fault explained by another (each host of a site that is down) or held by maintenance is
recorded but asks nothing of anyone: no incident, no SLA clock, no SLA mail. It gets its
incident when its opening is mailed, if ever, with the response clock starting then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings
from collector.config.tiers import catalogue_for
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.sla import due_times
from collector.engine import pipeline
from collector.engine.probe_results import CheckRun, record_runs
from collector.jobs.sla_sweep import sweep_sla
from collector.probes.base import ProbeResult, Verdict
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.probe_results import HostCheck
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import faults, incidents, outbox

# Monday 2 November 2026, 10:00 UTC (10:00 in London: inside Cat1's 9-5 hours).
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
INTERVAL = 60.0
NOC = "noc@vendor.example"
SILENT_AT = MONDAY + timedelta(seconds=3 * INTERVAL + 1)  # three heartbeats missed
WINDOW_ENDS = MONDAY + timedelta(hours=1)


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc=NOC)}


def _customer(conn: Connection, hosts: list[str], tier: str | None = "cat1") -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    if tier is not None:
        start = MONDAY - timedelta(days=30)
        inventory.add_contract(conn, "acme", tier, start, start + timedelta(days=365))
    for host in hosts:
        inventory.add_host(conn, host, "acme", MONDAY, name=host, interval_s=INTERVAL)


def _report(db: Database, config: CollectorConfig, host: str, at: datetime, disk: float) -> None:
    """The host's agent reports its root filesystem ``disk`` percent full; evaluated at once."""
    seq = int((at - MONDAY).total_seconds())
    filesystems = {"/": {"used_percent": disk, "inodes_used_percent": 2.0}}
    body = protocol.build_report(
        host_id=host, seq=seq, sampled_at=at, interval_s=INTERVAL, agent_version="test",
        probes={"system": {"status": "ok", "metrics": {"filesystems": filesystems}, "error": None}},
    )  # fmt: skip
    db.transaction(store_reports, [IncomingReport(host, seq, at, body)], at)
    db.transaction(pipeline.process_reports, config, at)


def _in_maintenance(conn: Connection) -> None:
    window = MaintenanceWindow(
        window_id="0",
        frequency="once",
        starts_at=MONDAY - timedelta(minutes=30),
        ends_at=WINDOW_ENDS,
        host_id="pbx",
        reason="disk migration",
    )
    maintenance_store.add_window(conn, window, "acme", "ops", MONDAY)


def _incidents(conn: Connection) -> list[tuple[str | None, str, datetime, bool]]:
    """Every incident, as (its fault's host, its fault's check, opened at, still being worked
    on: neither resolved nor closed), in the order they opened."""
    query = (
        select(faults.c.host_id, faults.c.check_key, incidents.c.opened_at, incidents.c.resolved_at)
        .join(faults, faults.c.id == incidents.c.fault_id)
        .order_by(incidents.c.id)
    )
    return [(host, check, at, ended is None) for host, check, at, ended in conn.execute(query)]


def _only_fault(conn: Connection, check_key: str) -> Any:
    (fault,) = [
        f for f in fault_store.list_faults(conn, open_only=False) if f.check_key == check_key
    ]
    return fault


def _mail(conn: Connection) -> list[tuple[str, str | None, str]]:
    """Each mail as (kind, check, recipient), in the order written."""
    query = (
        select(outbox.c.kind, faults.c.check_key, outbox.c.recipient)
        .join(faults, faults.c.id == outbox.c.fault_id)
        .order_by(outbox.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]


def _response_due(config: CollectorConfig, severity: str, at: datetime) -> datetime:
    return due_times(catalogue_for(config)["cat1"], severity, at)["first_response"]


def test_it_opens_one_incident_when_every_host_of_a_site_falls_silent_in_one_sweep(
    db: Database, config: CollectorConfig
) -> None:
    hosts = [f"pbx-{index:02d}" for index in range(20)]
    db.transaction(_customer, hosts)
    db.transaction(pipeline.sweep, config, SILENT_AT)

    assert db.transaction(_incidents) == [(None, "site.down", SILENT_AT, True)]
    assert len(db.transaction(fault_store.list_faults)) == 21  # each host's, and the site's

    back = SILENT_AT + timedelta(minutes=2)
    for host in hosts:
        _report(db, config, host, back, 40.0)
    db.transaction(pipeline.sweep, config, back + timedelta(seconds=1))
    # The hosts' faults cleared unannounced: still only the site's incident, now resolved.
    assert db.transaction(_incidents) == [(None, "site.down", SILENT_AT, False)]


def test_it_opens_no_incident_in_maintenance_and_one_counted_from_when_the_window_ends(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, ["pbx"])
    db.transaction(_in_maintenance)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=1), 97.0)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=30), 97.0)
    db.transaction(pipeline.sweep, config, MONDAY + timedelta(minutes=30))
    assert db.transaction(_incidents) == []
    assert db.transaction(_mail) == []

    _report(db, config, "pbx", WINDOW_ENDS, 97.0)  # the window ends with the disk still full
    db.transaction(pipeline.sweep, config, WINDOW_ENDS)

    fault = db.transaction(_only_fault, "disk:/")
    assert fault.opened_at == MONDAY + timedelta(minutes=1)
    incident = db.transaction(incident_store.incident_for_fault, fault.id)
    assert incident is not None
    assert (incident.opened_at, incident.tier, incident.covered) == (WINDOW_ENDS, "cat1", True)
    # The vendor is told at the window's end: the response target counts from then.
    due = _response_due(config, fault.severity, WINDOW_ENDS)
    assert incident.response_due_at == due
    assert due != _response_due(config, fault.severity, fault.opened_at)
    events = db.transaction(incident_store.events, incident.id)
    assert [(event.kind, event.at) for event in events] == [("opened", WINDOW_ENDS)]
    assert db.transaction(_mail) == [
        ("fault_opened", "disk:/", "jo@acme.example"),
        ("fault_opened", "disk:/", NOC),
    ]


def test_it_tells_sales_when_a_window_ends_on_a_fault_of_a_customer_without_a_contract(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, ["pbx"], None)
    db.transaction(_in_maintenance)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=1), 97.0)
    _report(db, config, "pbx", WINDOW_ENDS, 97.0)
    db.transaction(pipeline.sweep, config, WINDOW_ENDS)

    fault = db.transaction(_only_fault, "disk:/")
    incident = db.transaction(incident_store.incident_for_fault, fault.id)
    assert incident is not None
    assert (incident.tier, incident.covered, incident.response_due_at) == ("none", False, None)
    assert db.transaction(_mail) == [
        ("fault_opened", "disk:/", "jo@acme.example"),
        ("fault_opened", "disk:/", NOC),
        ("not_covered", "disk:/", config.mail.sales),
    ]


def test_it_never_opens_an_incident_for_a_held_fault_that_clears_unannounced(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, ["pbx"])
    db.transaction(_in_maintenance)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=1), 97.0)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=2), 40.0)
    _report(db, config, "pbx", WINDOW_ENDS, 40.0)
    db.transaction(pipeline.sweep, config, WINDOW_ENDS)

    fault = db.transaction(_only_fault, "disk:/")
    assert fault.resolved_at == MONDAY + timedelta(minutes=2)
    assert db.transaction(_incidents) == []
    assert db.transaction(_mail) == []


def _remote_checks(conn: Connection) -> list[HostCheck]:
    """SSH and SIP ports of the host, probed from the collector."""
    return [
        probe_store.add_check(conn, "pbx", "tcp", f"pbx:{port}", MONDAY, name=name)
        for name, port in (("ssh", 22), ("sip", 5060))
    ]


def _probe(
    db: Database, config: CollectorConfig, minute: int, verdicts: list[tuple[HostCheck, Verdict]]
) -> None:
    at = MONDAY + timedelta(minutes=minute)
    runs = [
        CheckRun(check, ProbeResult("tcp", check.target, verdict, None, verdict.value), at)
        for check, verdict in verdicts
    ]
    db.transaction(record_runs, config, runs, at)


def test_it_opens_the_incident_of_a_fault_that_stays_open_once_what_explained_it_clears(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, ["pbx"])
    ssh, sip = db.transaction(_remote_checks)
    for minute in (1, 2):  # every remote check fails: the host is down, which explains them
        _probe(db, config, minute, [(ssh, Verdict.CRITICAL), (sip, Verdict.CRITICAL)])
    assert [row[:2] for row in db.transaction(_incidents)] == [("pbx", "host.down")]

    for minute in (3, 4):  # SSH answers again, SIP does not: the host is up, SIP still broken
        _report(db, config, "pbx", MONDAY + timedelta(minutes=minute), 40.0)
        _probe(db, config, minute, [(ssh, Verdict.OK), (sip, Verdict.CRITICAL)])
    lifted = MONDAY + timedelta(minutes=4, seconds=30)
    db.transaction(pipeline.sweep, config, lifted)

    sip_fault = db.transaction(_only_fault, "remote.tcp:sip")
    assert sip_fault.resolved_at is None and sip_fault.opened_at < lifted
    assert db.transaction(_incidents) == [
        ("pbx", "host.down", MONDAY + timedelta(minutes=2), False),
        ("pbx", "remote.tcp:sip", lifted, True),
    ]
    ssh_fault = db.transaction(_only_fault, "remote.tcp:ssh")
    assert ssh_fault.resolved_at is not None
    assert db.transaction(incident_store.incident_for_fault, ssh_fault.id) is None


def _sla_mail(conn: Connection) -> list[tuple[str, str | None, str]]:
    return [mail for mail in _mail(conn) if mail[0].startswith("sla_")]


def test_it_sends_no_sla_mail_for_held_faults(db: Database, config: CollectorConfig) -> None:
    hosts = [f"pbx-{index:02d}" for index in range(5)]
    db.transaction(_customer, hosts)
    db.transaction(_in_maintenance_for_a_day, "pbx-00")
    _report(db, config, "pbx-00", MONDAY, 97.0)  # its disk fills during planned work
    db.transaction(pipeline.sweep, config, SILENT_AT)  # then all five fall silent: site down

    # A week later every target has long passed: only the site's incident has one to miss.
    for day in range(1, 8):
        db.transaction(sweep_sla, config, MONDAY + timedelta(days=day))
    assert db.transaction(_sla_mail) == [
        ("sla_warning", "site.down", NOC),
        ("sla_breached", "site.down", NOC),
    ]
    held = {"agent.heartbeat", "disk:/"}
    assert {fault.check_key for fault in db.transaction(fault_store.list_faults)} >= held


def _in_maintenance_for_a_day(conn: Connection, host: str) -> None:
    window = MaintenanceWindow(
        window_id="0",
        frequency="once",
        starts_at=MONDAY,
        ends_at=MONDAY + timedelta(days=2),
        host_id=host,
        reason="disk migration",
    )
    maintenance_store.add_window(conn, window, "acme", "ops", MONDAY)


def test_it_keeps_the_incident_a_held_fault_got_when_it_opened_before_this_rule(
    db: Database, config: CollectorConfig
) -> None:
    """Faults held when the collector was upgraded already have their incident."""
    db.transaction(_customer, ["pbx"])
    db.transaction(_in_maintenance)
    _report(db, config, "pbx", MONDAY + timedelta(minutes=1), 97.0)
    fault = db.transaction(_only_fault, "disk:/")
    db.transaction(
        incident_store.open_incident, fault_id=fault.id, customer_id="acme", tier="none",
        covered=False, severity=fault.severity, opened_at=fault.opened_at,
        response_due_at=None, policy={},
    )  # fmt: skip
    _report(db, config, "pbx", WINDOW_ENDS, 97.0)
    db.transaction(pipeline.sweep, config, WINDOW_ENDS)

    assert db.transaction(_incidents) == [("pbx", "disk:/", fault.opened_at, True)]
    # The opening mail follows the incident it has: not covered, so sales hear of it.
    assert ("not_covered", "disk:/", config.mail.sales) in db.transaction(_mail)
