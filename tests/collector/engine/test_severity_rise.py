"""An incident's severity follows its fault up, never down, on SQLite and PostgreSQL: targets
become the earlier of the promise made and the new severity's from the rise, paging follows,
and the timeline and the NOC hear of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.oncall import OnCallSettings
from collector.config.settings import CollectorConfig, MailSettings
from collector.config.tiers import catalogue_for
from collector.engine.incident_clock import explain_incident
from collector.engine.incident_severity import follow_fault
from collector.engine.pipeline import process_reports
from collector.jobs.paging import sweep_paging
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.incident_view import IncidentView
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import outbox
from tests.support.incidents import add_customer, open_incident

# Monday 2 November 2026, 10:00 UTC = 10:00 in London, inside Cat1's 9-5.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
# Friday 6 November 2026, 18:00 in New York; Saturday 10:00 there.
FRIDAY_SIX_PM = datetime(2026, 11, 6, 23, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 7, 15, 0, tzinfo=UTC)
NOC = "noc@vendor.example"
ROTA = {
    "people": [{"name": "alice", "pager": {"email": "15550001@sms.pager.example"}}],
    "rotation": {"zone": "UTC", "starts_on": "2026-11-02", "people": ["alice"]},
}


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc=NOC), "oncall": OnCallSettings.model_validate(ROTA)}


def _incident(db: Database, incident_id: int) -> IncidentView:
    found = db.transaction(incident_store.get_incident, incident_id)
    assert found is not None
    return found


def _noc_subjects(conn: Connection) -> list[str]:
    query = select(outbox.c.subject).where(outbox.c.recipient == NOC).order_by(outbox.c.id)
    return list(conn.scalars(query))


def test_it_takes_the_critical_target_and_pages_when_a_premium_fault_turns_critical_on_saturday(
    db: Database, config: CollectorConfig
) -> None:
    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", "premium", FRIDAY_SIX_PM)
        return open_incident(conn, config, host, FRIDAY_SIX_PM, severity="minor")

    incident_id = db.transaction(setup)
    opened = _incident(db, incident_id)
    # 12 working hours of the 07:00-19:00 line: 1 h on Friday, 11 h on Monday.
    assert opened.response_due_at == datetime(2026, 11, 9, 23, 0, tzinfo=UTC)
    assert db.transaction(sweep_paging, config, SATURDAY) == 0  # minor pages nobody

    assert db.transaction(follow_fault, config, opened.fault_id, "critical", SATURDAY)
    raised = _incident(db, incident_id)
    assert raised.severity == "critical"
    assert raised.response_due_at == SATURDAY + timedelta(hours=1)  # 1 h, 24x7
    assert db.transaction(sweep_paging, config, SATURDAY) == 1
    explained = db.transaction(explain_incident, raised, catalogue_for(config), SATURDAY)
    assert explained["first_response"].sentence == (
        "due Sat 7 Nov 11:00 America/New_York — severity raised Sat 7 Nov 10:00"
    )
    events = db.transaction(incident_store.events, incident_id)
    assert events[-1].kind == "severity_raised"
    assert events[-1].detail.startswith("minor → critical, as its fault; first response due Sat")
    assert db.transaction(_noc_subjects)[-1] == (
        f"SEVERITY RAISED minor → critical: Disk / is nearly full on pbx1 (Acme Ltd) "
        f"[{raised.reference}]"
    )


def test_it_keeps_the_earlier_promise_and_never_relaxes_on_a_fall(
    db: Database, config: CollectorConfig
) -> None:
    """Cat1 major and minor share the 8-working-hour target: a rise at 16:00 counted from then
    would fall later than the one promised at 10:00, so the promise stands."""

    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", "cat1", MONDAY)
        return open_incident(conn, config, host, MONDAY, severity="minor")

    incident_id = db.transaction(setup)
    promised = _incident(db, incident_id).response_due_at
    fault_id = _incident(db, incident_id).fault_id
    later = MONDAY + timedelta(hours=6)
    assert db.transaction(follow_fault, config, fault_id, "major", later)
    assert _incident(db, incident_id).response_due_at == promised
    assert not db.transaction(follow_fault, config, fault_id, "minor", later)
    assert _incident(db, incident_id).severity == "major"


def _disk(conn: Connection, seq: int, at: datetime, percent: float) -> None:
    filesystems = {"/": {"used_percent": percent, "inodes_used_percent": 2.0}}
    body = protocol.build_report(
        host_id="acme-pbx", seq=seq, sampled_at=at, interval_s=60.0, agent_version="test",
        probes={"system": {"status": "ok", "metrics": {"filesystems": filesystems}, "error": None}},
    )  # fmt: skip
    store_reports(conn, [IncomingReport("acme-pbx", seq, at, body)], at)


def test_it_follows_a_disk_filling_from_minor_to_major_through_the_pipeline(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(add_customer, "acme", "cat1", MONDAY)
    for seq, (minutes, percent) in enumerate([(0, 90.0), (5, 97.0), (10, 90.0)], start=1):
        moment = MONDAY + timedelta(minutes=minutes)
        db.transaction(_disk, seq, moment, percent)
        db.transaction(process_reports, config, moment)
    (incident,) = db.transaction(incident_store.list_incidents)
    assert incident.severity == "major"  # and stays so when the disk eases back to minor
    kinds = [e.kind for e in db.transaction(incident_store.events, incident.id)]
    assert kinds == ["opened", "severity_raised"]
    assert any(s.startswith("SEVERITY RAISED minor → major") for s in db.transaction(_noc_subjects))
