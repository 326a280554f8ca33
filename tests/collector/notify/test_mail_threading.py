"""A fault's mails, from the engine through the outbox to a real SMTP server, parsed back with
the standard library: each has a Date and its own Message-ID, quotes the outage's reference,
and the acknowledged and resolved mails answer the opening one, so they thread as one
conversation in a mail client."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.engine.pipeline import process_reports
from collector.jobs.mail_sender import OutboxSender
from collector.notify.smtp import SmtpTransport
from collector.operations.acknowledge import acknowledge_fault
from collector.runtime.metrics import Metrics
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports
from tests.support.collector import collector_config
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOC = "noc@vendor.example"
JO = "jo@harbor.example"


def _customer(conn: Connection) -> None:
    inventory.add_customer(conn, "harbor", "Harbor Ltd", NOW)
    inventory.set_contacts(conn, "harbor", [("Jo", JO)])
    inventory.add_contract(conn, "harbor", "cat2", NOW - timedelta(days=30), None)
    inventory.add_host(conn, "files", "harbor", NOW, name="Harbor file server")


def _sshd(conn: Connection, seq: int, running: bool) -> None:
    at = NOW + timedelta(minutes=seq)
    processes = {"sshd": {"running": running}}
    body = protocol.build_report(
        host_id="files", seq=seq, sampled_at=at, interval_s=60, agent_version="test",
        probes={"services": {"status": "ok", "metrics": {"processes": processes}, "error": None}},
    )  # fmt: skip
    store_reports(conn, [IncomingReport("files", seq, at, body)], at)


def _parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_it_threads_a_faults_opened_acknowledged_and_resolved_mails(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config: CollectorConfig = collector_config(
            database_url, tmp_path, smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(
                noc=NOC, message_id_domain="faultdesk.vendor.example", vendor_name="Avon Telecom"
            ),
        )  # fmt: skip
        db.transaction(_customer)
        clock = NOW
        sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock)
        for seq, running in ((1, True), (2, False)):  # one report of sshd down opens it
            db.transaction(_sshd, seq, running)
            db.transaction(process_reports, config, NOW + timedelta(minutes=seq))
        (fault,) = db.transaction(fault_store.list_faults)
        db.transaction(
            acknowledge_fault, fault.id, by=JO, comment="on it", address="203.0.113.9",
            now=NOW + timedelta(minutes=3), config=config,
        )  # fmt: skip
        for seq in (4, 5):
            db.transaction(_sshd, seq, True)
            db.transaction(process_reports, config, NOW + timedelta(minutes=seq))
        clock = NOW + timedelta(minutes=6)
        assert await sender.deliver_due() == 5

    mails = [_parsed(raw) for raw in inbox.raw]
    to = [(m["To"], m["Subject"].split(":")[0]) for m in mails]
    assert to == [(JO, "MAJOR"), (NOC, "MAJOR"), (NOC, "ACKNOWLEDGED"), (JO, "RESOLVED"),
                  (NOC, "RESOLVED")]  # fmt: skip
    ids = [m["Message-ID"] for m in mails]
    assert len(set(ids)) == 5 and all(i.endswith("@faultdesk.vendor.example>") for i in ids)
    for mail in mails:
        assert mail["Subject"].endswith("[INC-2026-0001]")
        written = parsedate_to_datetime(mail["Date"])
        assert NOW < written <= NOW + timedelta(minutes=6) and written.tzinfo is not None
    opened_jo, opened_noc = mails[0], mails[1]
    text = opened_jo.get_content().replace("\r\n", "\n")
    assert text.startswith("Avon Telecom has found a fault.\n")
    assert "Reference: INC-2026-0001 (please quote it)\n" in text
    assert "Contract: Cat2 extended hours\n" in text
    # Cat2: 4 hours from 09:02 GMT, when the fault opened, on the tier clock (Europe/London).
    assert "Response: by Mon 2 Nov 13:02 Europe/London\n" in text
    assert "What happens next: Avon Telecom's engineers have been told and will respond by" in text
    assert "To speak to us, call 01225 580025, quoting INC-2026-0001.\n" in text
    assert opened_jo["In-Reply-To"] is None and opened_jo["References"] is None
    for later in mails[2:]:
        first = opened_jo if later["To"] == JO else opened_noc
        assert later["In-Reply-To"] == first["Message-ID"] == later["References"]
