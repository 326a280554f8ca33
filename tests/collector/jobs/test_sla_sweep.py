"""The SLA sweep warns the NOC once and reports a breach once, through the outbox to real SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.config.tiers import catalogue_for
from collector.jobs.mail_sender import OutboxSender
from collector.jobs.sla_sweep import sweep_sla
from collector.notify.smtp import SmtpTransport
from collector.operations.incidents import perform
from collector.runtime.metrics import Metrics
from collector.store import incidents as incident_store
from collector.store.database import Database
from tests.support.collector import collector_config
from tests.support.incidents import add_customer, lose_access, open_incident
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

# Monday 2 November 2026, 10:00 UTC = 10:00 in London. Priority (UK): first response in 2 h.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOC = "noc@vendor.example"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests run on SQLite alone."""
    return sqlite_url


def _config(sqlite_url: str, tmp_path: Path, port: int = 25, fraction: float = 0.75) -> Any:
    return collector_config(
        sqlite_url,
        tmp_path,
        smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
        mail=MailSettings(noc=NOC, sla_warning_fraction=fraction),
    )


def _open(db: Database, config: CollectorConfig, tier: str | None, at: datetime = MONDAY) -> int:
    def setup(conn: Connection) -> int:
        return open_incident(conn, config, add_customer(conn, "acme", tier, at), at)

    return db.transaction(setup)


def _sweep(db: Database, config: CollectorConfig, at: datetime) -> int:
    return db.transaction(sweep_sla, config, at)


async def test_it_warns_once_at_the_fraction_and_reports_the_breach_once(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = _config(sqlite_url, tmp_path, port)
        incident_id = _open(db, config, "priority-uk")
        clock = [MONDAY]
        sender = OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock[0])

        assert _sweep(db, config, MONDAY + timedelta(minutes=89)) == 0
        assert _sweep(db, config, MONDAY + timedelta(minutes=90)) == 1  # 75% of 2 h
        clock[0] = MONDAY + timedelta(minutes=100)
        assert _sweep(db, config, clock[0]) == 0
        assert await sender.deliver_due() == 1
        assert _sweep(db, config, MONDAY + timedelta(hours=2)) == 1
        clock[0] = MONDAY + timedelta(hours=3)
        assert _sweep(db, config, clock[0]) == 0
        assert await sender.deliver_due() == 1

    warning, breach = inbox.messages
    assert warning["To"] == breach["To"] == NOC
    # On the dashboard's clock, UTC unless configured (test_sla_mail_parts has another)
    problem = f"Disk / is nearly full on pbx1 (Acme Ltd) [INC-2026-{incident_id:04d}]"
    assert warning["Subject"] == f"SLA WARNING: first response due 12:00 UTC for {problem}"
    assert breach["Subject"] == f"SLA BREACHED: first response was due 12:00 UTC for {problem}"
    plain = breach.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "Why:       due Mon 2 Nov 12:00 Europe/London — opened Mon 2 Nov 10:00" in body
    assert f"http://127.0.0.1:8080/incidents/{incident_id}" in body
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    assert incident.sla_warned_at == MONDAY + timedelta(minutes=90)
    assert incident.sla_breached_at == MONDAY + timedelta(hours=2)
    kinds = [e.kind for e in db.transaction(incident_store.events, incident_id)]
    assert kinds == ["opened", "sla_warning", "sla_breached"]


def test_it_counts_the_fraction_in_working_time_not_overnight(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    config = _config(sqlite_url, tmp_path)
    _open(db, config, "cat1", MONDAY + timedelta(hours=6))  # Mon 16:00; 8 working hours
    assert _sweep(db, config, MONDAY + timedelta(hours=13)) == 0  # Mon 23:00: 1 h used
    tuesday = MONDAY + timedelta(days=1)
    assert _sweep(db, config, tuesday + timedelta(hours=3, minutes=59)) == 0  # 5 h 59 min
    assert _sweep(db, config, tuesday + timedelta(hours=4)) == 1  # Tue 14:00: 6 h of 8


def test_it_uses_the_configured_fraction(db: Database, sqlite_url: str, tmp_path: Path) -> None:
    config = _config(sqlite_url, tmp_path, fraction=0.5)
    _open(db, config, "priority-uk")
    assert _sweep(db, config, MONDAY + timedelta(minutes=59)) == 0
    assert _sweep(db, config, MONDAY + timedelta(hours=1)) == 1


def test_it_stays_quiet_once_someone_has_responded(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    config = _config(sqlite_url, tmp_path)
    incident_id = _open(db, config, "priority-uk")
    db.transaction(
        perform, incident_id, "respond", by="alice", now=MONDAY, catalogue=catalogue_for(config)
    )
    assert _sweep(db, config, MONDAY + timedelta(hours=5)) == 0


def test_it_reports_no_breach_while_remote_access_is_still_down(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    config = _config(sqlite_url, tmp_path)
    incident_id = _open(db, config, "priority-uk")
    db.transaction(lose_access, "acme-pbx", MONDAY + timedelta(minutes=30), None)
    later = MONDAY + timedelta(hours=3)
    assert _sweep(db, config, later) == 0  # only the 30 min before access went have counted
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None and incident.sla_breached_at is None
    # Access lost at 10:30 with 1 h 30 min left: due 1 h 30 min after now while it stays lost.
    assert incident.response_due_at == later + timedelta(hours=1, minutes=30)


def test_it_sends_nothing_for_an_incident_without_a_contract(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    config = _config(sqlite_url, tmp_path)
    _open(db, config, None)
    assert _sweep(db, config, MONDAY + timedelta(days=3)) == 0
