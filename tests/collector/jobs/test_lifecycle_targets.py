"""Every target a tier sets is tracked, not only quoted: the parts lifecycle on Premier, on
SQLite and PostgreSQL — steps recorded, due times in the API, warning and breach mail to the
NOC once each, and nothing more once the step that meets the target is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig, MailSettings
from collector.config.tiers import catalogue_for
from collector.domain.tiers import Tier
from collector.engine.incident_clock import explain_incident
from collector.jobs.sla_sweep import sweep_sla
from collector.operations.incidents import TransitionRefused, allowed_actions, perform
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.schema import outbox
from tests.support.incidents import add_customer, open_incident

# Tuesday 3 November 2026, 13:00 in New York (18:00 UTC), inside Premier's 08:00-17:00.
OPENED = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
CONFIRMED = OPENED + timedelta(hours=1, minutes=30)  # 14:30 there: before the 15:00 cut-off
NOC = "noc@vendor.example"


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc=NOC)}


@pytest.fixture
def catalogue(config: CollectorConfig) -> Mapping[str, Tier]:
    return catalogue_for(config)


def _noc(conn: Connection) -> list[str]:
    query = select(outbox.c.subject).where(outbox.c.recipient == NOC).order_by(outbox.c.id)
    return [subject.split(" for ")[0] for subject in conn.scalars(query)]


def test_it_tracks_parts_dispatch_with_warning_and_breach_mail_until_dispatched(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", "premier", OPENED)
        return open_incident(conn, config, host, OPENED)

    incident_id = db.transaction(setup)

    def act(action: str, at: datetime) -> None:
        db.transaction(perform, incident_id, action, by="sam", now=at, catalogue=catalogue)

    with pytest.raises(TransitionRefused, match="needs it to be"):
        act("confirm", OPENED)  # nothing is diagnosed before a first response
    act("respond", OPENED + timedelta(minutes=10))
    with pytest.raises(TransitionRefused, match="needs failure confirmed, parts needed first"):
        act("dispatch", CONFIRMED)
    act("confirm", CONFIRMED)
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    assert allowed_actions(incident, False)[:3] == ["onsite", "resolve", "dispatch"]
    explained = db.transaction(explain_incident, incident, catalogue, CONFIRMED)
    # Same day, by the close at 17:00 New York time; delivery the next business day.
    assert explained["parts_dispatch"].due == datetime(2026, 11, 3, 22, 0, tzinfo=UTC)
    assert explained["parts_delivery"].due == datetime(2026, 11, 4, 22, 0, tzinfo=UTC)

    for minutes in (0, 60, 110, 115):  # 75% of 14:30-17:00 is 16:22:30
        db.transaction(sweep_sla, config, CONFIRMED + timedelta(minutes=minutes))
    assert db.transaction(_noc) == ["SLA WARNING: parts dispatch due 22:00 UTC"]
    for minutes in (150, 155):
        db.transaction(sweep_sla, config, CONFIRMED + timedelta(minutes=minutes))
    assert db.transaction(_noc)[1:] == ["SLA BREACHED: parts dispatch was due 22:00 UTC"]

    act("dispatch", CONFIRMED + timedelta(minutes=160))
    db.transaction(sweep_sla, config, CONFIRMED + timedelta(minutes=170))
    assert len(db.transaction(_noc)) == 2
    act("deliver", CONFIRMED + timedelta(hours=20))
    act("return", CONFIRMED + timedelta(days=3))
    kinds = [e.kind for e in db.transaction(incident_store.events, incident_id)]
    assert kinds == [
        "opened", "responded", "failure_confirmed", "sla_warning", "sla_breached",
        "parts_dispatched", "parts_delivered", "part_returned",
    ]  # fmt: skip
    with pytest.raises(TransitionRefused, match="recorded already"):
        act("return", CONFIRMED + timedelta(days=4))
