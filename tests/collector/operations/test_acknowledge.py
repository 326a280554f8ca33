"""Acknowledging a fault: the same outage's incident says who acknowledged it, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.config.settings import CollectorConfig
from collector.operations.acknowledge import acknowledge_fault
from collector.store import incidents as incident_store
from collector.store.database import Database
from tests.support.incidents import add_customer, open_incident

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_it_puts_the_acknowledgement_and_its_comment_on_the_incident_timeline(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = db.transaction(
        lambda conn: open_incident(conn, config, add_customer(conn, "acme", "cat1", MONDAY), MONDAY)
    )
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    at = MONDAY + timedelta(minutes=3)
    acknowledged = db.transaction(
        acknowledge_fault, incident.fault_id, by="jo@acme.example", comment="Ticket INC-4471",
        address="203.0.113.9", now=at, config=config,
    )  # fmt: skip
    assert acknowledged
    last = db.transaction(incident_store.events, incident_id)[-1]
    assert (last.at, last.kind, last.actor) == (at, "acknowledged", "jo@acme.example")
    assert last.detail == "fault acknowledged: Ticket INC-4471"
