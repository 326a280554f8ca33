"""A PBX outage's mails through a real SMTP server, parsed back with the standard library: the
HTML part lists what the outage explains under its cause, as the plain text does, and escapes
whatever the customer named (a host called ``<script>``); its colours are the dashboard's."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.engine.pipeline import process_reports
from collector.jobs.mail_sender import OutboxSender
from collector.notify.mail_html import PALETTE
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import store_reports
from tests.support.collector import collector_config
from tests.support.mail_parts import HtmlTags, part
from tests.support.pbx_reports import asterisk_report
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOC = "noc@vendor.example"
JO = "jo@smith.example"
HOST_NAME = '<script>alert("pwned")</script> PBX'
CUSTOMER_NAME = "Smith & <b>Sons</b>"
# What the opening mail lists: the agent's own readings open with the process's fault, on the
# first failing report; AMI and SIP are asked of a daemon, so they open a report later,
# explained too, and the NOC hears of the severity they raise.
EXPLAINED = ["Port 5038 is not listening", "Port 5060/udp is not listening"]
STYLESHEET = Path(__file__).parents[3] / "dashboard" / "static" / "style.css"


def _customer(conn: Connection) -> None:
    inventory.add_customer(conn, "smith", CUSTOMER_NAME, NOW, timezone="Europe/Berlin")
    inventory.set_contacts(conn, "smith", [("Jo", JO)])
    inventory.add_contract(conn, "smith", "cat2", NOW - timedelta(days=30), None)
    inventory.add_host(conn, "smith-pbx", "smith", NOW, name=HOST_NAME, kind="pbx")


def _evaluate(db: Database, config: CollectorConfig, seq: int, asterisk_up: bool) -> None:
    report = asterisk_report("smith-pbx", seq, NOW + timedelta(minutes=seq), asterisk_up)
    db.transaction(store_reports, [report], report.sampled_at)
    db.transaction(process_reports, config, report.sampled_at)


async def test_it_lists_the_explained_faults_in_both_parts_and_escapes_the_customers_names(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = collector_config(
            database_url, tmp_path, smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(noc=NOC, vendor_name="Avon <Telecom>"),
        )  # fmt: skip
        db.transaction(_customer)
        for seq, up in ((1, True), (2, True), (3, False), (4, False)):
            _evaluate(db, config, seq, up)
        sender = OutboxSender(
            db, SmtpTransport(config.smtp), config, Metrics(), lambda: NOW + timedelta(minutes=5)
        )
        assert await sender.deliver_due() == 3  # one opening each, and the NOC's rise to critical

    mails = [email.message_from_bytes(raw, policy=email.policy.default) for raw in inbox.raw]
    assert all(isinstance(mail, EmailMessage) for mail in mails)
    opened = mails[0]
    assert isinstance(opened, EmailMessage)
    assert opened["To"] == JO
    assert opened["Subject"] == f"FAULT: asterisk is not running on {HOST_NAME} [INC-2026-0001]"

    text = part(opened, "plain")
    assert f"Host:      {HOST_NAME} (smith-pbx)\n" in text  # plain text shows names as they are
    assert "".join(f"  - {line}\n" for line in EXPLAINED) in text
    # The fault opened at 10:03 UTC, with its first failing report: 11:03 in Berlin.
    assert "Since:     Mon 02 Nov 2026 11:03 CET\n" in text

    html = part(opened, "html")
    parsed = HtmlTags(html)
    assert "script" not in parsed.tags and "b" not in parsed.tags
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; PBX" in html
    assert "Smith &amp; &lt;b&gt;Sons&lt;/b&gt;" in html
    assert "Avon &lt;Telecom&gt; has found a fault." in html
    assert parsed.items == EXPLAINED
    assert "Mon 02 Nov 2026 11:03 CET" in html
    raised = mails[2]
    assert isinstance(raised, EmailMessage)
    assert raised["To"] == NOC and raised["Subject"].startswith("SEVERITY RAISED major → critical")


def test_it_colours_the_mail_as_the_dashboards_stylesheet_does() -> None:
    root = STYLESHEET.read_text().split(":root", 1)[1].split("}", 1)[0]
    colours = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6});", root))
    assert colours == PALETTE
