"""Reports and sweeps through the fault engine into fault rows, incidents and outbox mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings
from collector.engine.pipeline import process_reports, sweep
from collector.notify.ack_links import read_token
from collector.operations.acknowledge import acknowledge_fault
from collector.store import faults as fault_store
from collector.store import incidents, inventory
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import outbox
from tests.support.collector import SECRET

# Monday 2 November 2026, 10:00 UTC (10:00 in London: inside Cat1's 9-5 hours).
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
INTERVAL = 60.0


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc="noc@vendor.example")}


def _customer(conn: Connection, customer_id: str, tier: str | None) -> None:
    inventory.add_customer(conn, customer_id, f"{customer_id.title()} Ltd", MONDAY)
    inventory.set_contacts(conn, customer_id, [("Jo", f"jo@{customer_id}.example")])
    if tier is not None:
        start = MONDAY - timedelta(days=30)
        inventory.add_contract(conn, customer_id, tier, start, start + timedelta(days=365))
    inventory.add_host(
        conn, f"{customer_id}-pbx", customer_id, MONDAY, name="pbx1", interval_s=INTERVAL
    )


def _report(conn: Connection, host: str, seq: int, at: datetime, disk_percent: float) -> None:
    filesystems = {"/": {"used_percent": disk_percent, "inodes_used_percent": 2.0}}
    body = protocol.build_report(
        host_id=host,
        seq=seq,
        sampled_at=at,
        interval_s=INTERVAL,
        agent_version="test",
        probes={"system": {"status": "ok", "metrics": {"filesystems": filesystems}, "error": None}},
    )
    store_reports(conn, [IncomingReport(host, seq, at, body)], at)


def _mail(conn: Connection) -> list[Any]:
    return list(conn.execute(select(outbox).order_by(outbox.c.id)))


def test_it_opens_one_fault_with_an_incident_and_mail_when_a_disk_fills(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, "acme", "cat1")
    for seq, percent in enumerate((70.0, 96.0, 97.0), start=1):
        at = MONDAY + timedelta(minutes=seq)
        db.transaction(_report, "acme-pbx", seq, at, percent)
        db.transaction(process_reports, config, at)

    (fault,) = db.transaction(fault_store.list_faults)
    assert (fault.check_key, fault.severity) == ("disk:/", "major")
    assert "Disk space /" in fault.title
    incident = db.transaction(incidents.incident_for_fault, fault.id)
    assert incident is not None and incident.tier == "cat1" and incident.covered
    assert incident.response_due_at is not None and incident.response_due_at > fault.opened_at

    mail = db.transaction(_mail)
    assert sorted(m.recipient for m in mail) == ["jo@acme.example", "noc@vendor.example"]
    customer_mail = next(m for m in mail if m.recipient == "jo@acme.example")
    assert customer_mail.subject.startswith("FAULT: Disk / is 9")  # "… is 97% full on pbx1"
    link = next(line for line in customer_mail.body.splitlines() if "/ack/" in line)
    claim = read_token(SECRET, link.rsplit("/", 1)[1], MONDAY)
    assert (claim.fault_id, claim.recipient) == (fault.id, "jo@acme.example")


def test_it_resolves_the_fault_and_mails_the_recovery_when_the_disk_is_cleaned(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, "acme", "cat1")
    for seq, percent in enumerate((96.0, 60.0), start=1):
        at = MONDAY + timedelta(minutes=seq)
        db.transaction(_report, "acme-pbx", seq, at, percent)
        db.transaction(process_reports, config, at)

    (fault,) = db.transaction(fault_store.list_faults, open_only=False)
    assert fault.resolved_at is not None
    incident = db.transaction(incidents.incident_for_fault, fault.id)
    assert incident is not None and incident.status == "resolved"  # operators close it
    subjects = [m.subject for m in db.transaction(_mail)]
    assert sum(s.startswith("RESOLVED:") for s in subjects) == 2  # customer and NOC


def test_it_raises_a_heartbeat_fault_when_the_agent_falls_silent_and_clears_it_on_return(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, "acme", "cat1")
    db.transaction(_report, "acme-pbx", 1, MONDAY, 40.0)
    db.transaction(process_reports, config, MONDAY)
    db.transaction(sweep, config, MONDAY + timedelta(seconds=2 * INTERVAL))
    assert db.transaction(fault_store.list_faults) == []

    silent = MONDAY + timedelta(seconds=3 * INTERVAL + 1)
    db.transaction(sweep, config, silent)
    db.transaction(sweep, config, silent + timedelta(seconds=30))
    (fault,) = db.transaction(fault_store.list_faults)
    assert fault.check_key == "agent.heartbeat"

    back = silent + timedelta(minutes=2)
    db.transaction(_report, "acme-pbx", 2, back, 40.0)
    db.transaction(process_reports, config, back)
    assert db.transaction(fault_store.list_faults) == []


def test_it_marks_the_incident_not_covered_and_tells_sales_without_a_contract(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, "bare", None)
    db.transaction(_report, "bare-pbx", 1, MONDAY, 99.0)
    db.transaction(process_reports, config, MONDAY)

    (fault,) = db.transaction(fault_store.list_faults)
    incident = db.transaction(incidents.incident_for_fault, fault.id)
    assert incident is not None
    assert (incident.tier, incident.covered, incident.response_due_at) == ("none", False, None)
    recipients = {m.recipient for m in db.transaction(_mail)}
    assert recipients == {"jo@bare.example", "noc@vendor.example", config.mail.sales}


def test_it_reminds_until_someone_acknowledges(db: Database, config: CollectorConfig) -> None:
    db.transaction(_customer, "acme", "cat1")
    db.transaction(_report, "acme-pbx", 1, MONDAY, 99.0)
    db.transaction(process_reports, config, MONDAY)
    (fault,) = db.transaction(fault_store.list_faults)
    later = MONDAY + timedelta(seconds=config.mail.reminder_interval_s + 1)

    def reminders() -> int:
        return sum(m.kind == "fault_reminder" for m in db.transaction(_mail))

    db.transaction(_report, "acme-pbx", 2, later, 99.0)  # keep the agent alive
    db.transaction(process_reports, config, later)
    db.transaction(sweep, config, later)
    assert reminders() == 2  # customer and NOC
    subjects = [m.subject for m in db.transaction(_mail) if m.kind == "fault_reminder"]
    assert subjects == [
        "REMINDER: Disk / is 99% full on pbx1 [INC-2026-0001]",
        "STILL MAJOR: Disk / is 99% full on pbx1 (Acme Ltd) [INC-2026-0001]",
    ]

    db.transaction(
        acknowledge_fault, fault.id, by="jo@acme.example", comment="", address="::1",
        now=later, config=config,
    )  # fmt: skip
    much_later = later + timedelta(seconds=config.mail.reminder_interval_s + 1)
    db.transaction(_report, "acme-pbx", 3, much_later, 99.0)
    db.transaction(process_reports, config, much_later)
    db.transaction(sweep, config, much_later)
    assert reminders() == 2
    kinds = [m.kind for m in db.transaction(_mail)]
    assert kinds.count("fault_acknowledged") == 1


def test_it_evaluates_a_stored_report_only_once(db: Database, config: CollectorConfig) -> None:
    db.transaction(_customer, "acme", "cat1")
    db.transaction(_report, "acme-pbx", 1, MONDAY, 99.0)
    assert db.transaction(process_reports, config, MONDAY) == 1
    assert db.transaction(process_reports, config, MONDAY) == 0
    assert len(db.transaction(fault_store.list_faults)) == 1


def _stopped_processes(conn: Connection, host: str, seq: int, at: datetime, count: int) -> None:
    processes = {f"worker-{n}": {"running": False} for n in range(count)}
    body = protocol.build_report(
        host_id=host,
        seq=seq,
        sampled_at=at,
        interval_s=INTERVAL,
        agent_version="test",
        probes={"services": {"status": "critical", "metrics": {"processes": processes}}},
    )
    store_reports(conn, [IncomingReport(host, seq, at, body)], at)


def test_it_opens_one_many_problems_fault_for_a_storm_not_one_fault_each(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer, "acme", "cat1")
    for seq in (1, 2):  # two reports in a row: what a fault needs before it opens
        at = MONDAY + timedelta(minutes=seq)
        db.transaction(_stopped_processes, "acme-pbx", seq, at, 500)
        db.transaction(process_reports, config, at)

    (fault,) = db.transaction(fault_store.list_faults)
    assert fault.check_key == "host.many_problems"
    assert fault.title == "Many problems at once"
    mail = db.transaction(_mail)
    assert sorted(m.recipient for m in mail) == ["jo@acme.example", "noc@vendor.example"]
    assert "500 problems at once" in mail[0].body
