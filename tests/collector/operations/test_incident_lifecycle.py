"""Incident lifecycle on SQLite and PostgreSQL: who did what when, pauses, due times, queue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, update

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.tiers import Tier
from collector.engine.clock_facts import ClockFacts
from collector.engine.incident_clock import explain_incident
from collector.operations.incidents import (
    FaultStillOpen,
    TransitionRefused,
    allowed_actions,
    perform,
)
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.incident_view import IncidentView
from collector.store.schema import customers, faults
from tests.support.incidents import add_customer, lose_access, open_incident

# Monday 2 November 2026, 10:00 UTC = 10:00 in London (GMT), inside every UK calendar's hours.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def catalogue(config: CollectorConfig) -> Mapping[str, Tier]:
    return catalogue_for(config)


def _incident(db: Database, incident_id: int) -> IncidentView:
    incident = db.transaction(incident_store.get_incident, incident_id)
    assert incident is not None
    return incident


def _events(db: Database, incident_id: int) -> list[tuple[str, str]]:
    return [(e.kind, e.actor) for e in db.transaction(incident_store.events, incident_id)]


def _act(
    db: Database,
    catalogue: Mapping[str, Tier],
    incident_id: int,
    action: str,
    at: datetime,
    force: bool = False,
) -> IncidentView:
    return db.transaction(
        perform, incident_id, action, by="alice", now=at, catalogue=catalogue, note="",
        force=force,
    )  # fmt: skip


def _open(db: Database, config: CollectorConfig, tier: str, customer: str = "acme") -> int:
    def setup(conn: Any) -> int:
        host = add_customer(conn, customer, tier, MONDAY)
        return open_incident(conn, config, host, MONDAY)

    return db.transaction(setup)


def test_it_walks_the_lifecycle_recording_who_did_each_step_and_when(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat4")
    steps = ["respond", "onsite", "arrived", "resolve", "close"]
    for minutes, action in enumerate(steps, start=1):
        # The fault is still open: resolving and closing say so.
        _act(db, catalogue, incident_id, action, MONDAY + timedelta(minutes=minutes), force=True)

    incident = _incident(db, incident_id)
    assert incident.status == "closed"
    assert incident.responded_at == MONDAY + timedelta(minutes=1)
    assert incident.onsite_requested_at == MONDAY + timedelta(minutes=2)
    assert incident.on_site_at == MONDAY + timedelta(minutes=3)
    assert incident.resolved_at == MONDAY + timedelta(minutes=4)
    assert incident.closed_at == MONDAY + timedelta(minutes=5)
    assert _events(db, incident_id) == [
        ("opened", "faultdesk"),
        ("responded", "alice"),
        ("onsite_requested", "alice"),
        ("on_site", "alice"),
        ("resolved", "alice"),
        ("closed", "alice"),
    ]
    assert db.transaction(incident_store.list_incidents) == []


def test_it_refuses_steps_the_state_does_not_allow_and_changes_nothing(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat1")
    with pytest.raises(TransitionRefused, match="on-site visit requested' needs it to be"):
        _act(db, catalogue, incident_id, "onsite", MONDAY)
    with pytest.raises(TransitionRefused, match=r"is open \(no response yet\); .closed."):
        _act(db, catalogue, incident_id, "close", MONDAY)
    _act(db, catalogue, incident_id, "respond", MONDAY)
    with pytest.raises(TransitionRefused, match="is responded to; 'first response given'"):
        _act(db, catalogue, incident_id, "respond", MONDAY)
    with pytest.raises(TransitionRefused, match="not waiting on the customer"):
        _act(db, catalogue, incident_id, "resume", MONDAY)
    with pytest.raises(TransitionRefused, match="unknown action 'explode'"):
        _act(db, catalogue, incident_id, "explode", MONDAY)
    assert _incident(db, incident_id).status == "responded"
    assert [kind for kind, _ in _events(db, incident_id)] == ["opened", "responded"]


def test_it_acts_on_the_view_its_caller_read_and_still_changes_it_only_once(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat1")
    seen = _incident(db, incident_id)  # read before someone else responded
    _act(db, catalogue, incident_id, "respond", MONDAY)

    def respond_as_seen(conn: Connection) -> IncidentView:
        return perform(conn, seen, "respond", by="bob", now=MONDAY, catalogue=catalogue)

    with pytest.raises(TransitionRefused, match="is responded to; 'first response given'"):
        db.transaction(respond_as_seen)
    assert _events(db, incident_id) == [("opened", "faultdesk"), ("responded", "alice")]

    def onsite_as_read(conn: Connection) -> IncidentView:
        incident = incident_store.get_incident(conn, incident_id)
        assert incident is not None
        return perform(conn, incident, "onsite", by="bob", now=MONDAY, catalogue=catalogue)

    assert db.transaction(onsite_as_read).status == "onsite_requested"
    assert _incident(db, incident_id).status == "onsite_requested"


def test_it_starts_the_on_site_clock_when_a_visit_is_requested(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat4")
    _act(db, catalogue, incident_id, "respond", MONDAY)
    assert "on_site" not in db.transaction(
        explain_incident, _incident(db, incident_id), catalogue, MONDAY
    )

    requested = MONDAY + timedelta(hours=3)
    _act(db, catalogue, incident_id, "onsite", requested)
    incident = _incident(db, incident_id)
    explained = db.transaction(explain_incident, incident, catalogue, requested)
    # Cat4: on site within 24 elapsed hours of deciding a visit is needed.
    assert explained["on_site"].due == requested + timedelta(hours=24)
    detail = db.transaction(incident_store.events, incident_id)[-1].detail
    assert "on site due Tue 3 Nov 13:00 Europe/London" in detail


def test_it_pauses_the_response_clock_while_waiting_on_the_customer(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "priority-uk")
    assert _incident(db, incident_id).response_due_at == MONDAY + timedelta(hours=2)
    _act(db, catalogue, incident_id, "wait", MONDAY + timedelta(minutes=30))
    with pytest.raises(TransitionRefused, match="already waiting"):
        _act(db, catalogue, incident_id, "wait", MONDAY + timedelta(minutes=31))
    incident = _incident(db, incident_id)
    assert allowed_actions(incident, waiting=True) == ["respond", "resume"]

    _act(db, catalogue, incident_id, "resume", MONDAY + timedelta(minutes=55))
    incident = _incident(db, incident_id)
    assert incident.response_due_at == MONDAY + timedelta(hours=2, minutes=25)
    explained = db.transaction(explain_incident, incident, catalogue, MONDAY + timedelta(hours=1))
    assert explained["first_response"].sentence.endswith(
        "paused 25 min while waiting on the customer"
    )
    kinds = [kind for kind, _ in _events(db, incident_id)]
    assert kinds == ["opened", "waiting_on_customer", "resumed"]
    resumed = db.transaction(incident_store.events, incident_id)[-1].detail
    assert resumed == (
        "the customer answered after 25 min; the clocks run again; "
        "first response due Mon 2 Nov 12:25 Europe/London"
    )


def test_it_moves_the_response_due_time_by_the_working_time_ssh_was_unreachable(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "priority-uk")
    lost, back = MONDAY + timedelta(minutes=20), MONDAY + timedelta(minutes=60)
    db.transaction(lose_access, "acme-pbx", lost, back)

    now = MONDAY + timedelta(minutes=90)
    incident = _incident(db, incident_id)
    explained = db.transaction(explain_incident, incident, catalogue, now)["first_response"]
    assert explained.due == MONDAY + timedelta(hours=2, minutes=40)
    assert explained.sentence == (
        "due Mon 2 Nov 12:40 Europe/London — opened Mon 2 Nov 10:00; "
        "paused 40 min while SSH was unreachable"
    )


def test_it_counts_an_outage_still_going_until_now_and_overlaps_once(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "priority-uk")
    db.transaction(lose_access, "acme-pbx", MONDAY + timedelta(minutes=10), None)
    db.transaction(lose_access, "acme-pbx", MONDAY + timedelta(minutes=20), None, "http")

    now = MONDAY + timedelta(minutes=40)
    incident = _incident(db, incident_id)
    explained = db.transaction(explain_incident, incident, catalogue, now)["first_response"]
    assert explained.due == MONDAY + timedelta(hours=2, minutes=30)
    assert explained.sentence.endswith("paused 30 min while SSH and HTTP were unreachable")


def test_it_does_not_pause_an_incident_about_lost_access_on_its_own_outage(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    def setup(conn: Any) -> int:
        host = add_customer(conn, "acme", "priority-uk", MONDAY)
        return open_incident(conn, config, host, MONDAY, check_key="remote.ssh")

    incident_id = db.transaction(setup)
    incident = _incident(db, incident_id)
    now = MONDAY + timedelta(hours=1)
    explained = db.transaction(explain_incident, incident, catalogue, now)["first_response"]
    assert explained.due == MONDAY + timedelta(hours=2)
    assert "paused" not in explained.sentence


def _fault_clears(conn: Connection, fault_id: int, at: datetime) -> None:
    conn.execute(update(faults).where(faults.c.id == fault_id).values(resolved_at=at))
    incident_store.resolve_for_fault(conn, fault_id, at)


def test_it_resolves_an_incident_whose_fault_clears_before_any_response_as_met(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat1")
    _act(db, catalogue, incident_id, "wait", MONDAY)
    fault_id = _incident(db, incident_id).fault_id
    db.transaction(_fault_clears, fault_id, MONDAY + timedelta(hours=1))
    incident = _incident(db, incident_id)
    assert (incident.status, incident.resolved_at) == ("resolved", MONDAY + timedelta(hours=1))
    assert incident.closed_at is None and incident.response_outcome == "met"
    last = db.transaction(incident_store.events, incident_id)[-1]
    assert (last.kind, last.actor) == ("resolved", "faultdesk")
    assert "the fault cleared before any response; first-response target met" in last.detail
    assert allowed_actions(incident, waiting=False)[0] == "close"  # parts steps may follow
    _act(db, catalogue, incident_id, "close", MONDAY + timedelta(hours=2))  # no fault open now
    assert _incident(db, incident_id).status == "closed"


def test_it_records_a_breached_response_target_when_the_fault_clears_after_it(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat1")  # Cat1: 8 working hours, due Tuesday 10:00
    fault_id = _incident(db, incident_id).fault_id
    cleared = MONDAY + timedelta(days=1, hours=2)
    db.transaction(incident_store.resolve_for_fault, fault_id, cleared)
    incident = _incident(db, incident_id)
    assert incident.response_outcome == "breached"
    detail = db.transaction(incident_store.events, incident_id)[-1].detail
    assert "first-response target breached (due 2026-11-03 10:00 UTC, 2 h 0 min late)" in detail


def test_it_asks_for_force_to_resolve_or_close_while_the_fault_is_open(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat1")
    _act(db, catalogue, incident_id, "respond", MONDAY)
    with pytest.raises(FaultStillOpen, match=r"INC-2026-\d{4} .* is still open; .*--force"):
        _act(db, catalogue, incident_id, "resolve", MONDAY + timedelta(minutes=5))
    assert _incident(db, incident_id).status == "responded"
    _act(db, catalogue, incident_id, "resolve", MONDAY + timedelta(minutes=6), force=True)
    last = db.transaction(incident_store.events, incident_id)[-1]
    assert last.kind == "resolved" and "while its fault was still open (confirmed)" in last.detail


def test_it_queues_front_of_queue_tiers_first_then_by_time_left(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    cat2 = _open(db, config, "cat2", "early")  # 4 h: due 14:00
    cat1 = _open(db, config, "cat1", "later")  # 8 working hours: due Tue 10:00
    priority = _open(db, config, "priority-uk", "vip")  # 2 h but front of queue: due 12:00
    responded = _open(db, config, "priority-us", "done")  # front of queue, responded already
    _act(db, catalogue, responded, "respond", MONDAY)

    queue = [i.id for i in db.transaction(incident_store.list_incidents)]
    assert queue == [priority, responded, cat2, cat1]


def test_each_step_returns_the_incident_as_the_store_reads_it_afterwards(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "priority-uk")
    steps = [("wait", 10), ("resume", 40), ("respond", 50), ("wait", 60), ("resolve", 70)]
    for action, minutes in steps:
        returned = _act(
            db, catalogue, incident_id, action, MONDAY + timedelta(minutes=minutes), True
        )
        assert returned == _incident(db, incident_id), action


def test_it_returns_the_incident_as_reading_it_back_would_after_every_action(
    db: Database, config: CollectorConfig, catalogue: Mapping[str, Tier]
) -> None:
    incident_id = _open(db, config, "cat4")
    db.transaction(lambda conn: conn.execute(update(customers).values(access="on_request")))
    actions = [
        "wait", "resume", "respond", "confirm", "dispatch", "deliver", "onsite", "arrived",
        "access-granted", "wait", "resolve", "return", "close",
    ]  # fmt: skip
    for minutes, action in enumerate(actions, start=1):
        at = MONDAY + timedelta(minutes=minutes, microseconds=minutes)
        returned = _act(db, catalogue, incident_id, action, at, force=True)
        assert returned == _incident(db, incident_id), action


def test_it_refuses_a_step_the_status_does_not_allow_before_reading_the_clocks(
    db: Database,
    config: CollectorConfig,
    catalogue: Mapping[str, Tier],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident_id = _open(db, config, "cat4")
    _act(db, catalogue, incident_id, "respond", MONDAY)

    def unread(*_: Any) -> None:
        raise AssertionError("the clock facts were read for a refused step")

    monkeypatch.setattr(ClockFacts, "read", unread)
    with pytest.raises(TransitionRefused, match="is responded to; 'first response given' needs"):
        _act(db, catalogue, incident_id, "respond", MONDAY + timedelta(minutes=1))
