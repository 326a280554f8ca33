"""An incident is as severe as its outage: the highest of its fault's severity and of every
fault that fault explains, as it opens and whenever an explained fault turns up or rises, on
SQLite and PostgreSQL. The explained faults stay unmailed; the NOC hears of the rise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings
from collector.engine import pipeline
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.database import Database
from collector.store.incident_view import IncidentView
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import outbox
from tests.support.pbx_reports import asterisk_report

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOC = "noc@vendor.example"
HOST = "acme-pbx"


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc=NOC)}


def _pbx(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    inventory.add_contract(conn, "acme", "premium", MONDAY - timedelta(days=30), None)
    inventory.add_host(conn, HOST, "acme", MONDAY, name="pbx1", kind="pbx")


def _sip_port_report(
    seq: int, *, port_open: bool, trunk_up: bool, phone_up: bool = True
) -> IncomingReport:
    """Asterisk runs and AMI answers; its SIP port, and then its trunk or a phone, may not."""
    at = MONDAY + timedelta(minutes=seq)
    services = {"processes": {"asterisk": {"running": True}},
                "ports": {"5060/udp": {"listening": port_open}}}  # fmt: skip
    ami: dict[str, Any] = {"reachable": True, "endpoints": [
        {"name": "trunk-a", "trunk": True, "device_state": _state(trunk_up)},
        {"name": "desk-12", "trunk": False, "device_state": _state(phone_up)},
    ]}  # fmt: skip
    probes = {
        name: {"status": "ok", "metrics": metrics, "error": None}
        for name, metrics in (("services", services), ("asterisk", ami))
    }
    body = protocol.build_report(
        host_id=HOST, seq=seq, sampled_at=at, interval_s=60, agent_version="t", probes=probes
    )
    return IncomingReport(HOST, seq, at, body)


def _state(up: bool) -> str:
    return "Not in use" if up else "Unavailable"


def _evaluate(db: Database, config: CollectorConfig, report: IncomingReport) -> None:
    db.transaction(store_reports, [report], report.sampled_at)
    db.transaction(pipeline.process_reports, config, report.sampled_at)


def _only_incident(db: Database) -> IncidentView:
    (incident,) = db.transaction(incident_store.list_incidents)
    return incident


def _mail(conn: Connection) -> list[tuple[str, str]]:
    query = select(outbox.c.kind, outbox.c.recipient).order_by(outbox.c.id)
    return [(row.kind, row.recipient) for row in conn.execute(query)]


def test_it_opens_an_asterisk_outage_as_severe_as_the_ami_fault_its_process_explains(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_pbx)
    for seq, up in ((1, True), (2, True), (3, False), (4, False)):
        report = asterisk_report(HOST, seq, MONDAY + timedelta(minutes=seq), up)
        _evaluate(db, config, report)

    severities = {f.check_key: f.severity for f in db.transaction(fault_store.list_faults)}
    assert severities["service:asterisk"] == "major"
    assert severities["asterisk.ami"] == "critical"  # explained: no incident of its own
    incident = _only_incident(db)
    assert (incident.check_key, incident.severity) == ("service:asterisk", "critical")
    # Premium's critical target (1 hour, 24x7), not its major one (12 working hours), from 10:04.
    assert incident.response_due_at == MONDAY + timedelta(hours=1, minutes=4)


def test_it_raises_the_incident_when_a_fault_its_cause_explains_turns_up_more_severe(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_pbx)
    for seq, port_open, trunk_up in ((1, True, True), (2, False, True), (3, False, True)):
        _evaluate(db, config, _sip_port_report(seq, port_open=port_open, trunk_up=trunk_up))
    opened = _only_incident(db)
    assert (opened.check_key, opened.severity) == ("port:5060/udp", "major")
    assert db.transaction(_mail) == [("fault_opened", "jo@acme.example"), ("fault_opened", NOC)]

    # The SIP port stays closed and the trunk behind it becomes unreachable: a critical fault
    # the closed port explains, so part of the same outage.
    for seq in (4, 5):
        _evaluate(db, config, _sip_port_report(seq, port_open=False, trunk_up=False))
    trunk = next(
        f for f in db.transaction(fault_store.list_faults) if f.check_key.startswith("asterisk.")
    )
    assert (trunk.severity, trunk.suppressed_by) == ("critical", "port:5060/udp")
    raised = _only_incident(db)
    assert (raised.id, raised.severity) == (opened.id, "critical")
    assert raised.response_due_at == MONDAY + timedelta(hours=1, minutes=5)  # 1 h from the rise
    events = db.transaction(incident_store.events, raised.id)
    (rise,) = [event for event in events if event.kind == "severity_raised"]
    assert rise.detail.startswith(
        "major → critical, as Trunk trunk-a unreachable, which its fault explains,"
    )
    # The trunk is not mailed on its own; the NOC hears that the incident rose.
    assert db.transaction(_mail)[2:] == [("severity_raised", NOC)]


def test_it_leaves_the_incident_as_it_is_when_an_explained_fault_is_less_severe(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_pbx)
    for seq in (1, 2, 3):
        _evaluate(db, config, _sip_port_report(seq, port_open=seq == 1, trunk_up=True))
    before = _only_incident(db)
    for seq in (4, 5):  # a phone, minor, becomes unavailable behind the closed port
        _evaluate(db, config, _sip_port_report(seq, port_open=False, trunk_up=True, phone_up=False))
    phone = {f.check_key: f for f in db.transaction(fault_store.list_faults)}[
        "asterisk.endpoint:desk-12"
    ]
    assert (phone.severity, phone.suppressed_by) == ("minor", "port:5060/udp")
    after = _only_incident(db)
    assert (after.severity, after.response_due_at) == (before.severity, before.response_due_at)
