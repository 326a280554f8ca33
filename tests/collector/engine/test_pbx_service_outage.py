"""A PBX whose Asterisk stops, through the real engine with the shipped dependency rules: one
incident, one opening mail per recipient listing what else the outage explains, and one
recovery mail each when Asterisk comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig, MailSettings
from collector.engine import pipeline
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import store_reports
from collector.store.schema import faults, incidents, outbox
from tests.support.pbx_reports import asterisk_report

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOC = "noc@vendor.example"


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc=NOC)}


def _pbx(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    inventory.add_contract(conn, "acme", "cat2", MONDAY - timedelta(days=30), None)
    inventory.add_host(conn, "acme-pbx", "acme", MONDAY, name="pbx1", kind="pbx")


def _evaluate(db: Database, config: CollectorConfig, seq: int, asterisk_up: bool) -> None:
    report = asterisk_report("acme-pbx", seq, MONDAY + timedelta(minutes=seq), asterisk_up)
    db.transaction(store_reports, [report], report.sampled_at)
    db.transaction(pipeline.process_reports, config, report.sampled_at)


def _mail(conn: Connection) -> list[Any]:
    query = select(outbox.c.kind, outbox.c.recipient, outbox.c.body, faults.c.check_key).join(
        faults, faults.c.id == outbox.c.fault_id
    )
    return list(conn.execute(query.order_by(outbox.c.id)))


def _suppressed_by(conn: Connection) -> dict[str, str | None]:
    rows = conn.execute(select(faults.c.check_key, faults.c.suppressed_by))
    return {key: by for key, by in rows}


def test_it_makes_an_asterisk_outage_one_incident_and_one_mail_listing_what_it_explains(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_pbx)
    for seq in (1, 2):
        _evaluate(db, config, seq, asterisk_up=True)
    _evaluate(db, config, 3, asterisk_up=False)
    # The process and ports are the agent's own readings, conclusive at once: the mail goes
    # with the first report, listing the ports.
    mail = db.transaction(_mail)
    assert [(m.kind, m.recipient, m.check_key) for m in mail] == [
        ("fault_opened", "jo@acme.example", "service:asterisk"),
        ("fault_opened", NOC, "service:asterisk"),
    ]
    body = mail[0].body
    assert "Also affected, explained by this fault (not mailed separately):\n" in body
    for sentence in ("Port 5038 is not listening", "Port 5060/udp is not listening"):
        assert f"  - {sentence}\n" in body

    # AMI and SIP are asked of a daemon that may be busy: they open on the second report,
    # explained by the process's fault, with no opening mail or incident of their own; AMI's
    # critical raises the incident's severity, which the NOC alone is told.
    _evaluate(db, config, 4, asterisk_up=False)
    explained = ("asterisk.ami", "port:5038", "port:5060/udp", "sip")
    opened = db.transaction(_suppressed_by)
    assert {key: opened.get(key) for key in explained} == dict.fromkeys(
        explained, "service:asterisk"
    )
    keys = db.transaction(
        lambda conn: [key for (key,) in conn.execute(
            select(faults.c.check_key).join(incidents, incidents.c.fault_id == faults.c.id)
        )]
    )  # fmt: skip
    assert keys == ["service:asterisk"]
    raised = db.transaction(_mail)[2:]
    assert [(m.kind, m.recipient, m.check_key) for m in raised] == [
        ("severity_raised", NOC, "service:asterisk")
    ]

    for seq in (5, 6):
        _evaluate(db, config, seq, asterisk_up=True)
    mail = db.transaction(_mail)[3:]
    assert [(m.kind, m.recipient, m.check_key) for m in mail] == [
        ("fault_resolved", "jo@acme.example", "service:asterisk"),
        ("fault_resolved", NOC, "service:asterisk"),
    ]
