"""A target's outcome is judged once, by ``collector.domain.outcomes.target_outcome``, and every
view shows that: the operators' pages, the customer's tickets and the portal API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.outcomes import Outcome, target_outcome
from collector.operations import customer_scope
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.incident_view import IncidentView
from tests.support.incidents import add_customer, open_incident

# Monday 2 November 2026, 10:00 UTC; Cat1's 8 working hours fall due Tuesday 10:00.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DUE = MONDAY + timedelta(days=1)


def _resolved_without_response(conn: Connection, config: CollectorConfig) -> IncidentView:
    incident_id = open_incident(conn, config, add_customer(conn, "acme", "cat1", MONDAY), MONDAY)
    incident = incident_store.get_incident(conn, incident_id)
    assert incident is not None and incident.response_due_at == DUE
    incident_store.resolve_for_fault(conn, incident.fault_id, MONDAY + timedelta(hours=1))
    found = incident_store.get_incident(conn, incident_id)
    assert found is not None
    return found


def test_it_shows_a_customer_the_outcome_operators_see_when_the_fault_clears_first(
    db: Database, config: CollectorConfig
) -> None:
    # README: a fault that clears resolves its incident, and the history records whether the
    # first-response target was met; resolved by the due time with no response: met.
    incident = db.transaction(_resolved_without_response, config)
    assert incident.response_outcome is Outcome.MET
    for now in (MONDAY + timedelta(hours=2), DUE + timedelta(days=3)):
        assert customer_scope.target_met(incident, now) is True


def test_it_judges_a_target_met_by_its_step_or_the_end_and_missed_once_past_due() -> None:
    step = MONDAY + timedelta(hours=3)
    assert target_outcome(DUE, step, None, MONDAY) is Outcome.MET
    assert target_outcome(DUE, None, step, MONDAY) is Outcome.MET
    assert target_outcome(DUE, DUE + timedelta(minutes=1), None, DUE) is Outcome.BREACHED
    assert target_outcome(DUE, None, None, DUE) is None  # due now: it can still be met
    assert target_outcome(DUE, None, None, DUE + timedelta(seconds=1)) is Outcome.BREACHED
    assert target_outcome(None, step, None, MONDAY) is None  # no target
