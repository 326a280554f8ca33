"""Fault decisions: open, escalate, flap, resolve, remind, and mail held by maintenance."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from collector.domain.faults import (
    DecisionKind,
    FaultDecision,
    FaultKey,
    FaultState,
    Mail,
    apply_decision,
    decide,
    notifications_due,
    reminder_due,
)
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import NotificationPolicy, Severity, Status
from collector.domain.watches import TransitionKind, WatchTransition

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
KEY = FaultKey("acme", "pbx1", "disk:/var")
POLICY = NotificationPolicy()
MAJOR, CRITICAL, MINOR = Severity.MAJOR, Severity.CRITICAL, Severity.MINOR


def transition(
    kind: TransitionKind,
    severity: Severity | None,
    previous: Severity | None = None,
    *,
    at: datetime = T0,
    flapping: bool = False,
) -> WatchTransition:
    status = Status.OK if severity is None else Status.CRITICAL
    return WatchTransition(
        kind, KEY.check_key, at, severity, previous, status, "detail", None, flapping
    )


def window(start: datetime = T0, hours: float = 2) -> MaintenanceWindow:
    return MaintenanceWindow(
        "w", "once", start, start + timedelta(hours=hours), host_id=KEY.host_id
    )


def step(
    fault: FaultState | None,
    made: WatchTransition,
    windows: tuple[MaintenanceWindow, ...] = (),
    suppressed_by: str | None = None,
) -> tuple[FaultState, FaultDecision]:
    decision = decide(made, KEY, fault, windows, suppressed_by=suppressed_by)
    assert decision is not None
    return apply_decision(fault, decision), decision


def opened(severity: Severity = MAJOR, **kwargs: object) -> FaultState:
    fault, _ = step(None, transition(TransitionKind.RAISED, severity), **kwargs)  # type: ignore[arg-type]
    return fault


def test_it_opens_a_fault_and_mails_it() -> None:
    fault, decision = step(None, transition(TransitionKind.RAISED, MAJOR))
    assert decision.kind is DecisionKind.OPEN and decision.mail is Mail.OPENED
    assert decision.notify and decision.held is None
    assert fault.is_open and fault.opened_at == T0 and fault.notified_severity is MAJOR


def test_it_mails_an_escalation_but_not_a_de_escalation() -> None:
    fault = opened(MAJOR)
    fault, up = step(fault, transition(TransitionKind.SEVERITY_CHANGED, CRITICAL, MAJOR))
    assert up.kind is DecisionKind.ESCALATE and up.mail is Mail.ESCALATED
    fault, down = step(fault, transition(TransitionKind.SEVERITY_CHANGED, MAJOR, CRITICAL))
    assert down.kind is DecisionKind.ESCALATE and not down.notify
    fault, again = step(fault, transition(TransitionKind.SEVERITY_CHANGED, CRITICAL, MAJOR))
    assert not again.notify  # critical was mailed already
    assert fault.severity is CRITICAL


def test_it_mails_the_recovery_of_a_mailed_fault_once() -> None:
    fault = opened()
    resolved, decision = step(fault, transition(TransitionKind.RECOVERED, None, MAJOR))
    assert decision.kind is DecisionKind.RESOLVE and decision.mail is Mail.RESOLVED
    assert resolved.resolved_at == T0 and resolved.recovery_notified
    assert decide(transition(TransitionKind.RECOVERED, None), KEY, resolved, ()) is None
    assert notifications_due(resolved, T0 + timedelta(days=1), (), POLICY) is None


def test_it_mails_one_flapping_notice_for_a_fault_that_starts_by_flapping() -> None:
    made = transition(TransitionKind.FLAPPING_STARTED, CRITICAL, flapping=True)
    fault, decision = step(None, made)
    assert decision.kind is DecisionKind.OPEN and decision.mail is Mail.FLAPPING
    assert fault.flapping


def test_it_mails_once_when_an_open_fault_starts_flapping_and_not_when_it_settles() -> None:
    fault = opened(MAJOR)
    made = transition(TransitionKind.FLAPPING_STARTED, MAJOR, MAJOR, flapping=True)
    fault, decision = step(fault, made)
    assert decision.kind is DecisionKind.FLAPPING and decision.mail is Mail.FLAPPING
    fault, settled = step(fault, transition(TransitionKind.FLAPPING_ENDED, MAJOR, MAJOR))
    assert settled.kind is DecisionKind.SETTLE and not settled.notify and not fault.flapping


def test_it_records_but_does_not_mail_a_fault_opened_in_maintenance() -> None:
    windows = (window(),)
    fault, decision = step(None, transition(TransitionKind.RAISED, MAJOR), windows)
    assert decision.kind is DecisionKind.OPEN and not decision.notify
    assert decision.held == "maintenance" and fault.notified_severity is None
    assert notifications_due(fault, T0 + timedelta(hours=1), windows, POLICY) is None


def test_it_mails_a_fault_still_open_when_the_window_ends() -> None:
    windows = (window(),)
    fault, _ = step(None, transition(TransitionKind.RAISED, MAJOR), windows)
    due = notifications_due(fault, T0 + timedelta(hours=2), windows, POLICY)
    assert due is not None and due.kind is DecisionKind.NOTIFY and due.mail is Mail.OPENED
    fault = apply_decision(fault, due)
    assert fault.notified_severity is MAJOR
    assert notifications_due(fault, T0 + timedelta(hours=2), windows, POLICY) is None


def test_it_never_mails_a_fault_that_opened_and_resolved_inside_a_window() -> None:
    windows = (window(),)
    fault, _ = step(None, transition(TransitionKind.RAISED, MAJOR), windows)
    later = T0 + timedelta(hours=1)
    fault, decision = step(fault, transition(TransitionKind.RECOVERED, None, at=later), windows)
    assert not decision.notify and decision.held is None
    assert notifications_due(fault, T0 + timedelta(hours=3), windows, POLICY) is None


def test_it_holds_the_recovery_of_a_mailed_fault_until_the_window_ends() -> None:
    fault = opened()
    windows = (window(T0 + timedelta(hours=1)),)
    at = T0 + timedelta(hours=2)
    fault, decision = step(fault, transition(TransitionKind.RECOVERED, None, at=at), windows)
    assert not decision.notify and decision.held == "maintenance" and not fault.is_open
    assert notifications_due(fault, at, windows, POLICY) is None
    due = notifications_due(fault, T0 + timedelta(hours=3), windows, POLICY)
    assert due is not None and due.mail is Mail.RESOLVED
    assert apply_decision(fault, due).recovery_notified


def test_it_holds_a_suppressed_fault_and_mails_it_when_the_cause_clears() -> None:
    fault, decision = step(
        None, transition(TransitionKind.RAISED, MAJOR), suppressed_by="host.down"
    )
    assert not decision.notify and decision.held == "suppressed:host.down"
    assert notifications_due(fault, T0 + timedelta(hours=9), (), POLICY) is None
    cleared = replace(fault, suppressed_by=None)
    due = notifications_due(cleared, T0 + timedelta(minutes=5), (), POLICY)
    assert due is not None and due.mail is Mail.OPENED


def test_it_still_mails_the_recovery_of_a_mailed_fault_that_became_suppressed() -> None:
    fault = replace(opened(), suppressed_by="host.down")
    made = transition(TransitionKind.RECOVERED, None)
    _, decision = step(fault, made, suppressed_by="host.down")
    assert decision.mail is Mail.RESOLVED


def test_it_reminds_about_unacknowledged_faults_every_interval() -> None:
    fault = opened()
    assert not reminder_due(fault, T0 + timedelta(hours=3, minutes=59), 4 * 3600)
    assert reminder_due(fault, T0 + timedelta(hours=4), 4 * 3600)
    due = notifications_due(fault, T0 + timedelta(hours=4), (), POLICY)
    assert due is not None and due.kind is DecisionKind.REMIND and due.mail is Mail.REMINDER
    fault = apply_decision(fault, due)
    assert fault.last_notified_at == T0 + timedelta(hours=4)
    assert notifications_due(fault, T0 + timedelta(hours=5), (), POLICY) is None


def test_it_does_not_remind_about_acknowledged_or_suppressed_faults() -> None:
    fault = opened()
    later = T0 + timedelta(hours=5)
    assert notifications_due(replace(fault, acknowledged_at=T0), later, (), POLICY) is None
    assert notifications_due(replace(fault, suppressed_by="site.down"), later, (), POLICY) is None
    assert notifications_due(fault, later, (window(later),), POLICY) is None


def test_it_opens_a_fault_when_a_change_arrives_for_a_fault_it_does_not_have() -> None:
    decision = decide(transition(TransitionKind.SEVERITY_CHANGED, CRITICAL), KEY, None, ())
    assert decision is not None and decision.kind is DecisionKind.OPEN
    assert decide(transition(TransitionKind.RECOVERED, None), KEY, None, ()) is None
