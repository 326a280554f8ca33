"""A fault whose names carry line breaks and a Bcc injection, from an agent report through the
fault engine and the outbox to a real SMTP server: nothing injected reaches the relay, a mail
that cannot be built fails alone, and the NOC's copy in the same batch still goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.engine.pipeline import process_reports
from collector.jobs.mail_sender import OutboxSender
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import outbox
from tests.support.collector import collector_config
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
BCC = "\r\nBcc: attacker@evil.example"
NOC = "noc@vendor.example"
#: Accepted by the API's address check, yet two addresses to a mail header.
NOT_ONE_ADDRESS = "ann@acme.example,attacker"


def _config(database_url: str, tmp_path: Path, port: int) -> CollectorConfig:
    return collector_config(
        database_url,
        tmp_path,
        smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
        mail=MailSettings(noc=NOC, max_attempts=3),
    )


def _poisoned_customer(conn: Connection) -> None:
    """Names as an older collector accepted them: straight into the store."""
    inventory.add_customer(conn, "acme", f"Acme{BCC}", NOW)
    inventory.set_contacts(
        conn, "acme", [("Jo", "jo@acme.example"), (f"Ann{BCC}", NOT_ONE_ADDRESS)]
    )
    inventory.add_contract(conn, "acme", "cat2", NOW - timedelta(days=30), None)
    inventory.add_host(conn, "pbx-1", "acme", NOW, name="pbx\nX-Injected: yes", interval_s=60)


def _process_down(conn: Connection, seq: int, at: datetime) -> None:
    processes = {f"nginx{BCC}": {"running": False}}
    body = protocol.build_report(
        host_id="pbx-1",
        seq=seq,
        sampled_at=at,
        interval_s=60,
        agent_version="test",
        probes={"services": {"status": "ok", "metrics": {"processes": processes}, "error": None}},
    )
    store_reports(conn, [IncomingReport("pbx-1", seq, at, body)], at)


def _outbox(conn: Connection) -> list[Any]:
    return list(conn.execute(select(outbox).order_by(outbox.c.id)))


async def test_it_sends_a_poisoned_fault_safely_and_fails_only_the_unbuildable_mail(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = _config(database_url, tmp_path, port)
        db.transaction(_poisoned_customer)
        for seq in (1, 2):
            at = NOW + timedelta(minutes=seq)
            db.transaction(_process_down, seq, at)
            db.transaction(process_reports, config, at)
        (fault,) = db.transaction(fault_store.list_faults)
        queued = db.transaction(_outbox)
        assert [m.recipient for m in queued] == ["jo@acme.example", NOT_ONE_ADDRESS, NOC]

        clock = NOW + timedelta(minutes=3)
        sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock)
        assert await sender.deliver_due() == 2
        assert await sender.deliver_due() == 0

    assert inbox.envelopes == [["jo@acme.example"], [NOC]]
    for raw, mail in zip(inbox.raw, inbox.messages, strict=True):
        head, _, body = raw.partition(b"\r\n\r\n")
        for line in (head + b"\r\n" + body).split(b"\r\n"):
            assert not line.startswith((b"Bcc:", b"X-Injected:")), line
        assert mail["Bcc"] is None and mail["X-Injected"] is None
        plain = mail.get_body(("plain",))
        assert isinstance(plain, EmailMessage)
        facts = plain.get_content().replace("\r\n", "\n")
        assert "Customer:  Acme\\r\\nBcc: attacker@evil.example\n" in facts
        assert "Host:      pbx\\nX-Injected: yes (pbx-1)\n" in facts
        customer = " (Acme\\r\\nBcc: attacker@evil.example)" if mail["To"] == NOC else ""
        label = "MAJOR" if mail["To"] == NOC else "FAULT"
        assert mail["Subject"] == (
            f"{label}: nginx\\r\\nBcc: attacker@evil.example is not running on "
            f"pbx\\nX-Injected: yes{customer} [INC-2026-0001]"
        )
    assert fault.title == "Process nginx\\r\\nBcc: attacker@evil.example not running"

    statuses = {m.recipient: (m.status, m.attempts) for m in db.transaction(_outbox)}
    assert statuses == {
        "jo@acme.example": ("sent", 1),
        NOT_ONE_ADDRESS: ("failed", 1),
        NOC: ("sent", 1),
    }
    (failed,) = [m for m in db.transaction(_outbox) if m.status == "failed"]
    assert failed.last_error.startswith("cannot build the message: recipient")
    assert "is not one email address" in failed.last_error
