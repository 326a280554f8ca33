"""A PBX's SIP service stops and starts again, against a real Kamailio and a real sshd.

The collector probes the PBX host from outside: its SIP port over TCP, SIP OPTIONS over UDP and
over TCP (all at Kamailio), and SSH (at sshd). A host rule says a closed SIP port explains SIP
not answering. Stopping Kamailio is one outage: one incident, about the closed port, and one
opening mail per recipient listing the SIP checks it explains, while SSH still answering shows
the host itself is up. Starting Kamailio again is one recovery mail each, in the same thread.
Every message the SMTP server receives is parsed with the standard library's ``email``.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Connection

from collector.config.settings import (
    CollectorConfig,
    MailSettings,
    ProbeSettings,
    SmtpSettings,
)
from collector.jobs.mail_sender import OutboxSender
from collector.jobs.probe_scheduler import ProbeScheduler
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from tests.support.clock import Clock
from tests.support.collector import collector_config
from tests.support.kamailio import KamailioServer, running_kamailio
from tests.support.mail_parts import part
from tests.support.smtp import Inbox, smtp_server
from tests.support.sshd import Sshd, running_sshd

pytestmark = pytest.mark.e2e

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-pbx"
JO = "jo@acme.example"
NOC = "noc@vendor.example"
SHIPPED_RULES = Path(__file__).parents[2] / "config" / "dependencies.yaml"
SIP_PORT = {"name": "sip-port", "cause": "remote.tcp:sip", "explains": ["remote.sip*"]}
EXPLAINED = ["SIP access is lost", "SIP access (tcp) is lost"]


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    (tmp_path / "sshd").mkdir()
    with running_sshd(tmp_path / "sshd") as server:
        yield server


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    migrate(engine)
    database = Database(engine)
    database.transaction(_customer)
    yield database
    database.close()


def _customer(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY, timezone="Europe/London")
    inventory.set_contacts(conn, "acme", [("Jo", JO)])
    inventory.add_contract(conn, "acme", "cat2", MONDAY - timedelta(days=30), None)
    inventory.add_host(conn, HOST, "acme", MONDAY, name="pbx1", kind="pbx")


def _config(database_url: str, tmp_path: Path, smtp_port: int) -> CollectorConfig:
    """The shipped rules, and for this host: its SIP port closed explains SIP not answering."""
    rules = yaml.safe_load(SHIPPED_RULES.read_text())
    rules["hosts"] = {HOST: {"rules": [SIP_PORT]}}
    path = tmp_path / "dependencies.yaml"
    path.write_text(yaml.safe_dump(rules))
    return collector_config(
        database_url,
        tmp_path,
        dependencies_file=path,
        probes=ProbeSettings(jitter_s=0),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp_port, timeout_s=5),
        mail=MailSettings(noc=NOC, vendor_name="Avon Telecom"),
    )


def _add_checks(conn: Connection, sip: KamailioServer, sshd: Sshd) -> None:
    where = f"{sip.host}:{sip.port}"
    probe_store.add_check(conn, HOST, "tcp", where, MONDAY, name="sip", options={"timeout_s": 2})
    probe_store.add_check(conn, HOST, "sip", where, MONDAY, options={"timeout_s": 2})
    options = {"transport": "tcp", "timeout_s": 2}
    probe_store.add_check(conn, HOST, "sip", where, MONDAY, name="tcp", options=options)
    probe_store.add_check(conn, HOST, "ssh", f"{sshd.host}:{sshd.port}", MONDAY)


async def _probe_twice(scheduler: ProbeScheduler, clock: Clock) -> None:
    """Two rounds of every check: what a fault, or a recovery, needs."""
    for _ in range(2):
        clock.advance(timedelta(seconds=60))
        assert await scheduler.tick() == 4
        await scheduler.drain()


def _open_faults(db: Database) -> dict[str, str | None]:
    return {f.check_key: f.suppressed_by for f in db.transaction(fault_store.list_faults)}


def _parsed(inbox: Inbox) -> list[EmailMessage]:
    mails = [email.message_from_bytes(raw, policy=email.policy.default) for raw in inbox.raw]
    assert all(isinstance(mail, EmailMessage) for mail in mails)
    return mails


async def test_it_makes_a_stopped_sip_service_one_incident_one_opening_and_one_recovery(
    db: Database, database_url: str, tmp_path: Path, sshd: Sshd
) -> None:
    clock = Clock(MONDAY)
    with smtp_server() as (inbox, smtp_port):
        config = _config(database_url, tmp_path, smtp_port)
        sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), clock)
        scheduler = ProbeScheduler(db, config, clock, Metrics())
        try:
            with running_kamailio(tmp_path / "kamailio") as sip:
                db.transaction(_add_checks, sip, sshd)
                await _probe_twice(scheduler, clock)
                assert _open_faults(db) == {}
            # Kamailio has stopped: its port is closed, and SIP answers neither way.
            await _probe_twice(scheduler, clock)
            assert _open_faults(db) == {
                "remote.tcp:sip": None,
                "remote.sip": "remote.tcp:sip",
                "remote.sip:tcp": "remote.tcp:sip",
            }  # SSH answers: the host is up, and no host.down explains anything
            (incident,) = db.transaction(incident_store.list_incidents)
            assert incident.check_key == "remote.tcp:sip"
            assert await sender.deliver_due() == 2
            assert len(inbox.raw) == 2  # one opening each: the customer's contact, the NOC

            with running_kamailio(tmp_path / "kamailio-again", port=sip.port):
                await _probe_twice(scheduler, clock)
                assert _open_faults(db) == {}
                assert await sender.deliver_due() == 2
        finally:
            await scheduler.stop()

    mails = _parsed(inbox)
    assert [(m["To"], m["Subject"]) for m in mails] == [
        (JO, "FAULT: TCP port (sip) is closed on pbx1 [INC-2026-0001]"),
        (NOC, "CRITICAL: TCP port (sip) is closed on pbx1 (Acme Ltd) [INC-2026-0001]"),
        (JO, "RESOLVED: TCP port (sip) is open again on pbx1 [INC-2026-0001]"),
        (NOC, "RESOLVED: TCP port (sip) is open again on pbx1 (Acme Ltd) [INC-2026-0001]"),
    ]
    for opened in mails[:2]:
        # The port check answers at once and SIP's only at its timeout, so the cause's mail may
        # be written before the SIP faults open: it lists those open by then (in the order they
        # opened), and the rest are on the incident (asserted above), never mailed on their own.
        plain, html = part(opened, "plain"), part(opened, "html")
        listed = [line for line in EXPLAINED if f"\n  - {line}\n" in plain]
        assert [line for line in EXPLAINED if f"<li>{line}</li>" in html] == listed
        assert ("(not mailed separately):\n  - " in plain) == bool(listed)
    for opened, recovered in zip(mails[:2], mails[2:], strict=True):
        assert recovered["To"] == opened["To"]
        assert recovered["In-Reply-To"] == opened["Message-ID"] == recovered["References"]
