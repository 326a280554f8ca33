"""The NOC's SLA warning and breach mails through a real SMTP server, parsed back with the
standard library: subjects that read as a sentence with the reference, times on the vendor's
clock with its abbreviation, a plain-text and an HTML part that escapes whatever the customer
named, and both threaded under the NOC's opening mail about the fault."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Connection

from collector.config.settings import (
    CollectorConfig,
    DashboardSettings,
    MailSettings,
    SmtpSettings,
)
from collector.jobs.mail_sender import OutboxSender
from collector.jobs.sla_sweep import sweep_sla
from collector.notify import fanout
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.database import Database
from tests.support.collector import collector_config
from tests.support.incidents import open_incident
from tests.support.mail_parts import HtmlTags, part
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

# Monday 2 November 2026, 10:00 UTC: 11:00 on the vendor's clock in Berlin. Priority (UK):
# first response in 2 h, by 12:00 UTC, 13:00 CET.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOC = "noc@vendor.example"
HOST_NAME = '<script>alert("pwned")</script> PBX'
CUSTOMER_NAME = "Smith & <b>Sons</b>"


def _incident(conn: Connection, config: CollectorConfig) -> int:
    """Smith's incident, and the NOC's opening mail about its fault, as the fault writer
    queues it."""
    inventory.add_customer(conn, "smith", CUSTOMER_NAME, MONDAY)
    start = MONDAY - timedelta(days=30)
    inventory.add_contract(conn, "smith", "priority-uk", start, start + timedelta(days=365))
    inventory.add_host(conn, "smith-pbx", "smith", MONDAY, name=HOST_NAME)
    incident_id = open_incident(conn, config, "smith-pbx", MONDAY)
    incident = incident_store.get_incident(conn, incident_id)
    assert incident is not None
    fault = fault_store.get_fault(conn, incident.fault_id)
    assert fault is not None
    fanout.fault_opened(conn, fault, config, MONDAY, covered=True)
    return incident_id


async def test_it_mails_the_noc_a_threaded_two_part_warning_and_breach_on_its_clock(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = collector_config(
            database_url, tmp_path, smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(noc=NOC), dashboard=DashboardSettings(timezone="Europe/Berlin"),
        )  # fmt: skip
        incident_id = db.transaction(_incident, config)
        clock = [MONDAY]
        sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock[0])
        for minutes in (90, 120):  # 75% of the 2 h, then all of it
            clock[0] = MONDAY + timedelta(minutes=minutes)
            assert db.transaction(sweep_sla, config, clock[0]) == 1
            assert await sender.deliver_due() == 1 + (minutes == 90)  # the opening goes first

    opening, warning, breach = (
        email.message_from_bytes(raw, policy=email.policy.default) for raw in inbox.raw
    )
    assert isinstance(opening, EmailMessage) and isinstance(warning, EmailMessage)
    assert isinstance(breach, EmailMessage)
    reference = f"INC-2026-{incident_id:04d}"
    problem = f"Disk / is nearly full on {HOST_NAME} ({CUSTOMER_NAME}) [{reference}]"
    assert warning["Subject"] == f"SLA WARNING: first response due 13:00 CET for {problem}"
    assert breach["Subject"] == f"SLA BREACHED: first response was due 13:00 CET for {problem}"
    for mail in (warning, breach):
        assert mail["To"] == NOC and mail["Date"] is not None
        assert mail["In-Reply-To"] == mail["References"] == opening["Message-ID"]
        assert mail["Message-ID"] not in (opening["Message-ID"], None)

    text = part(warning, "plain")
    assert "30 min of working time is left before the first-response target" in text
    assert f"Host:      {HOST_NAME} (smith-pbx)\n" in text  # plain text shows names as they are
    assert "Since:     Mon 02 Nov 2026 11:00 CET\n" in text
    assert "Due:       Mon 02 Nov 2026 13:00 CET\n" in text
    assert f"Incident:  http://127.0.0.1:8080/incidents/{incident_id}\n" in text

    html = part(breach, "html")
    parsed = HtmlTags(html)
    assert "script" not in parsed.tags and "b" not in parsed.tags
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; PBX" in html
    assert "Smith &amp; &lt;b&gt;Sons&lt;/b&gt;" in html
    assert ">SLA BREACHED</span>" in html
    assert "Mon 02 Nov 2026 13:00 CET" in html
    assert "no response is recorded" in html
