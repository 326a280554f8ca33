"""A fault's mails, from the engine through the outbox to a real SMTP server, parsed back with
the standard library: each has a Date and its own Message-ID, a subject that reads as a
sentence with the outage's reference, a plain-text and an HTML part saying the same, times in
the reader's zone (the customer's own, the vendor's for the NOC), and the acknowledged and
resolved mails answer the opening one, so they thread as one conversation in a mail client."""

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
from collector.config.settings import (
    CollectorConfig,
    DashboardSettings,
    MailSettings,
    SmtpSettings,
)
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
    inventory.add_customer(conn, "harbor", "Harbor Ltd", NOW, timezone="America/New_York")
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
            dashboard=DashboardSettings(timezone="Europe/Paris"),  # the vendor's zone
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
    assert [(m["To"], m["Subject"]) for m in mails] == [
        (JO, "FAULT: sshd is not running on Harbor file server [INC-2026-0001]"),
        (NOC, "MAJOR: sshd is not running on Harbor file server (Harbor Ltd) [INC-2026-0001]"),
        (NOC, "ACKNOWLEDGED: sshd is not running on Harbor file server (Harbor Ltd) "
              "[INC-2026-0001]"),
        (JO, "RESOLVED: sshd is running again on Harbor file server [INC-2026-0001]"),
        (NOC, "RESOLVED: sshd is running again on Harbor file server (Harbor Ltd) "
              "[INC-2026-0001]"),
    ]  # fmt: skip
    ids = [m["Message-ID"] for m in mails]
    assert len(set(ids)) == 5 and all(i.endswith("@faultdesk.vendor.example>") for i in ids)
    for mail in mails:
        written = parsedate_to_datetime(mail["Date"])
        assert NOW < written <= NOW + timedelta(minutes=6) and written.tzinfo is not None
        assert mail.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in mail.iter_parts()] == [
            "text/plain", "text/html"
        ]  # fmt: skip
        assert "INC-2026-0001 (please quote it)" in _text(mail)
        assert "INC-2026-0001 (please quote it)" in _html(mail)
    opened_jo, opened_noc = mails[0], mails[1]
    text = _text(opened_jo)
    assert text.startswith("Avon Telecom has found a fault.\n")
    assert "Reference: INC-2026-0001 (please quote it)\n" in text
    assert "Contract:  Cat2 extended hours\n" in text
    # The fault opened at 09:02 UTC: 04:02 in New York, where Jo is (EST, UTC-5), and Cat2's
    # 4 hours on the tier clock (London, 09:02-13:02 GMT) end at 08:02 there.
    assert "Since:     Mon 02 Nov 2026 04:02 EST\n" in text
    assert "Response:  by Mon 02 Nov 2026 08:02 EST\n" in text
    assert "What happens next: Avon Telecom's engineers have been told and will respond by" in text
    assert "To speak to us, call 01225 580025, quoting INC-2026-0001.\n" in text
    assert "UTC" not in text and "GMT" not in text
    html = _html(opened_jo)
    assert "Mon 02 Nov 2026 04:02 EST" in html and "Mon 02 Nov 2026 08:02 EST" in html
    assert ">Acknowledge</a>" in html and "/ack/" in html
    # The NOC reads the same in the vendor's zone (Paris, CET).
    noc_text = _text(opened_noc)
    assert "Since:     Mon 02 Nov 2026 10:02 CET\n" in noc_text
    assert "Response:  by Mon 02 Nov 2026 14:02 CET\n" in noc_text
    assert "The fault has cleared at Mon 02 Nov 2026 04:05 EST." in _text(mails[3])
    assert "The fault has cleared at Mon 02 Nov 2026 10:05 CET." in _text(mails[4])
    assert opened_jo["In-Reply-To"] is None and opened_jo["References"] is None
    for later in mails[2:]:
        first = opened_jo if later["To"] == JO else opened_noc
        assert later["In-Reply-To"] == first["Message-ID"] == later["References"]


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def _html(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
