"""An announced day recalculates open incidents' unmet targets only: a met target's or an ended
incident's due time is history. A day already past on its calendar cannot be announced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.tiers import Tier
from collector.engine.incident_clock import explain_incident
from collector.operations import announcements as ops
from collector.operations.incidents import perform
from collector.store import incidents as incident_store
from collector.store.database import Database
from tests.support.incidents import add_customer, open_incident

# Monday 2 November 2026, 10:00 in London: cat1's 8 working hours fall due Tuesday 10:00.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
TUESDAY_10, WEDNESDAY_10 = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


def _announce(
    conn: Connection, catalogue: Mapping[str, Tier], calendar: str, day: date, now: datetime
) -> list[int]:
    body = ops.NewAnnouncement(calendar=calendar, day=day, reason="Office shutdown")
    return ops.announce(conn, body, by="olga", now=now, catalogue=catalogue)[1]


def _three_incidents(conn: Connection, config: CollectorConfig) -> tuple[int, int, int]:
    """One awaiting its response, one responded, one whose fault cleared first."""
    catalogue = catalogue_for(config)
    found = []
    for name in ("waiting", "answered", "cleared"):
        found.append(open_incident(conn, config, add_customer(conn, name, "cat1", MONDAY), MONDAY))
    waiting, answered, cleared = found
    an_hour_on = MONDAY + timedelta(hours=1)
    perform(conn, answered, "respond", by="sam", now=an_hour_on, catalogue=catalogue)
    cleared_view = incident_store.get_incident(conn, cleared)
    assert cleared_view is not None
    incident_store.resolve_for_fault(conn, cleared_view.fault_id, an_hour_on)
    return waiting, answered, cleared


def test_it_moves_only_the_targets_still_owed(db: Database, config: CollectorConfig) -> None:
    waiting, answered, cleared = db.transaction(_three_incidents, config)
    later = MONDAY + timedelta(hours=2)
    changed = db.transaction(
        _announce, catalogue_for(config), "uk-office", date(2026, 11, 3), later
    )
    assert changed == [waiting]
    due = {
        i: db.transaction(incident_store.get_incident, i).response_due_at  # type: ignore[union-attr]
        for i in (waiting, answered, cleared)
    }
    assert due == {waiting: WEDNESDAY_10, answered: TUESDAY_10, cleared: TUESDAY_10}
    for finished in (answered, cleared):
        kinds = [e.kind for e in db.transaction(incident_store.events, finished)]
        assert "calendar_changed" not in kinds


def _explained_due(conn: Connection, config: CollectorConfig, incident_id: int) -> datetime:
    incident = incident_store.get_incident(conn, incident_id)
    assert incident is not None
    now = MONDAY + timedelta(hours=3)
    return explain_incident(conn, incident, catalogue_for(config), now)["first_response"].due


def test_it_explains_a_finished_target_by_the_days_announced_when_it_finished(
    db: Database, config: CollectorConfig
) -> None:
    # What `incident explain`, the API's targets and the incident page show.
    waiting, answered, cleared = db.transaction(_three_incidents, config)
    later = MONDAY + timedelta(hours=2)
    db.transaction(_announce, catalogue_for(config), "uk-office", date(2026, 11, 3), later)
    explained = {i: db.transaction(_explained_due, config, i) for i in (waiting, answered, cleared)}
    assert explained == {waiting: WEDNESDAY_10, answered: TUESDAY_10, cleared: TUESDAY_10}


@pytest.mark.parametrize(
    ("calendar", "day", "refused"),
    [
        ("uk-office", date(2020, 1, 1), True),
        ("uk-office", date(2026, 11, 1), True),  # Sunday in London, and at 03:00 UTC
        ("ckent-us", date(2026, 11, 1), False),  # still Sunday evening in New York
        ("uk-office", date(2026, 11, 2), False),  # today
    ],
)
def test_it_refuses_a_day_already_past_on_the_calendars_own_clock(
    db: Database, config: CollectorConfig, calendar: str, day: date, refused: bool
) -> None:
    early_monday = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    catalogue = catalogue_for(config)
    if not refused:
        db.transaction(_announce, catalogue, calendar, day, early_monday)
        return
    with pytest.raises(ops.AnnouncementRefused, match=r"2020-01-01|2026-11-01") as refusal:
        db.transaction(_announce, catalogue, calendar, day, early_monday)
    assert refusal.value.field == "day"


def _responded_then_withdrawn(conn: Connection, config: CollectorConfig) -> tuple[int, datetime]:
    catalogue = catalogue_for(config)
    incident_id = open_incident(conn, config, add_customer(conn, "acme", "cat1", MONDAY), MONDAY)
    _announce(conn, catalogue, "uk-office", date(2026, 11, 3), MONDAY + timedelta(minutes=5))
    perform(conn, incident_id, "respond", by="sam", now=WEDNESDAY_10, catalogue=catalogue)
    ops.withdraw(conn, 1, by="olga", now=WEDNESDAY_10 + timedelta(hours=1), catalogue=catalogue)
    incident = incident_store.get_incident(conn, incident_id)
    assert incident is not None and incident.response_due_at is not None
    now = WEDNESDAY_10 + timedelta(hours=2)
    return incident_id, explain_incident(conn, incident, catalogue, now)["first_response"].due


def test_it_keeps_a_met_targets_due_time_when_the_day_is_withdrawn_after(
    db: Database, config: CollectorConfig
) -> None:
    # Responded Wednesday 10:00, on time only because Tuesday was announced closed.
    incident_id, explained = db.transaction(_responded_then_withdrawn, config)
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None and incident.response_outcome == "met"
    assert incident.response_due_at == explained == WEDNESDAY_10
