"""Fault-level decisions: what to do with a fault row and whether to mail about it.

The lifecycle, as the store applies it::

    check transitions ──decide()──▶ FaultDecision ──apply_decision()──▶ FaultState (persisted)
    open / resolved faults ──notifications_due()──▶ held mail caught up, reminders

A fault keeps a mail ledger (``notified_severity``, ``last_notified_at``, ``recovery_notified``),
so the mail due is a function of the fault, the windows and ``now``: mail held by maintenance or
a dependency goes out when the hold lifts, a recovery is mailed once and only if the opening
was, and a severity already mailed is not mailed again when a check swings back and forth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from collector.domain.maintenance import MaintenanceWindow, in_maintenance
from collector.domain.policy import (
    NotificationPolicy,
    Severity,
)
from collector.domain.watches import TransitionKind, WatchTransition

MAINTENANCE = "maintenance"
#: The check key of a fault the customer logged (a ticket), before a colon and a random suffix:
#: each report is a fault of its own, under its own title.
CUSTOMER_REPORT = "customer-report"


@dataclass(frozen=True)
class FaultKey:
    """Identity of an open fault: one per check per host, or per customer site (no host)."""

    customer_id: str
    host_id: str | None
    check_key: str


def reported_by_customer(check_key: str) -> bool:
    """Whether the customer logged the fault, rather than monitoring finding it."""
    return check_key.partition(":")[0] == CUSTOMER_REPORT


class DecisionKind(StrEnum):
    OPEN = "open"
    ESCALATE = "escalate"  # severity change within the fault, either way
    FLAPPING = "flapping"  # the open fault is now flapping
    SETTLE = "settle"  # flapping ended, the fault stays open
    UPDATE = "update"  # new detail only
    RESOLVE = "resolve"
    REMIND = "remind"
    NOTIFY = "notify"  # no change to the fault: mail that was held back is due now


class Mail(StrEnum):
    """Which message to write into the outbox."""

    OPENED = "opened"
    ESCALATED = "escalated"
    FLAPPING = "flapping"
    RESOLVED = "resolved"
    REMINDER = "reminder"


@dataclass(frozen=True)
class FaultState:
    """A fault as the engine needs to see it; the store keeps it as the faults row's columns."""

    key: FaultKey
    severity: Severity
    opened_at: datetime
    detail: str = ""
    flapping: bool = False
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    suppressed_by: str | None = None  # check key of the fault that explains this one
    notified_severity: Severity | None = None  # None: the opening has not been mailed
    last_notified_at: datetime | None = None
    recovery_notified: bool = False

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class FaultDecision:
    """One thing to do to one fault, and the mail to write with it (``mail`` None: none).
    ``held``: why a mail that was due did not go out (``"maintenance"``, ``"suppressed:<check>"``),
    for the fault's history; ``notifications_due`` sends it once the hold lifts."""

    kind: DecisionKind
    key: FaultKey
    at: datetime
    severity: Severity
    previous_severity: Severity | None = None
    flapping: bool = False
    detail: str = ""
    mail: Mail | None = None
    held: str | None = None
    suppressed_by: str | None = None

    @property
    def notify(self) -> bool:
        return self.mail is not None


def hold_reason(
    fault: FaultState, now: datetime, windows: Iterable[MaintenanceWindow]
) -> str | None:
    """Why mail about ``fault`` must wait now, or None. Maintenance holds every mail;
    a dependency holds all but the recovery of a fault whose opening was mailed."""
    if in_maintenance(fault.key.host_id, fault.key.customer_id, now, windows):
        return MAINTENANCE
    if fault.suppressed_by is not None and fault.is_open:
        return f"suppressed:{fault.suppressed_by}"
    return None


def opening_announced(before: FaultState | None, after: FaultState) -> bool:
    """Whether going from ``before`` (None: a new fault) to ``after`` mailed the fault's opening:
    the moment the customer and the vendor are first told of it."""
    told_before = before is not None and before.notified_severity is not None
    return not told_before and after.notified_severity is not None


def reminder_due(fault: FaultState, now: datetime, interval_s: float) -> bool:
    """An open, mailed, unacknowledged fault is mailed again every ``interval_s``."""
    return (
        fault.is_open
        and fault.acknowledged_at is None
        and fault.last_notified_at is not None
        and fault.notified_severity is not None
        and now - fault.last_notified_at >= timedelta(seconds=interval_s)
    )


def mail_due(fault: FaultState, now: datetime, policy: NotificationPolicy) -> Mail | None:
    """The mail the ledger says is owed, ignoring holds."""
    if not fault.is_open:
        owed = fault.notified_severity is not None and not fault.recovery_notified
        return Mail.RESOLVED if owed else None
    if fault.notified_severity is None:
        return Mail.OPENED
    if fault.severity.rank > fault.notified_severity.rank:
        return Mail.ESCALATED
    return Mail.REMINDER if reminder_due(fault, now, policy.reminder_interval_s) else None


def notifications_due(
    fault: FaultState,
    now: datetime,
    windows: Iterable[MaintenanceWindow],
    policy: NotificationPolicy,
) -> FaultDecision | None:
    """The sweep's question for every open fault and every resolved one whose recovery is
    unmailed: is a mail due now? Catches up mail held by maintenance or a dependency and
    sends reminders."""
    windows = tuple(windows)
    mail = mail_due(fault, now, policy)
    if mail is None or hold_reason(fault, now, windows) is not None:
        return None
    kind = DecisionKind.REMIND if mail is Mail.REMINDER else DecisionKind.NOTIFY
    return FaultDecision(
        kind, fault.key, now, fault.severity, fault.notified_severity, fault.flapping,
        fault.detail, mail, suppressed_by=fault.suppressed_by,
    )  # fmt: skip


_KIND_BY_TRANSITION = {
    TransitionKind.RAISED: DecisionKind.OPEN,
    TransitionKind.SEVERITY_CHANGED: DecisionKind.ESCALATE,
    TransitionKind.FLAPPING_STARTED: DecisionKind.FLAPPING,
    TransitionKind.FLAPPING_ENDED: DecisionKind.SETTLE,
    TransitionKind.RECOVERED: DecisionKind.RESOLVE,
}


def decide(
    transition: WatchTransition,
    key: FaultKey,
    fault: FaultState | None,
    windows: Iterable[MaintenanceWindow],
    *,
    suppressed_by: str | None = None,
) -> FaultDecision | None:
    """Turn one check transition into a decision on the fault ``key`` (``fault`` is its open
    row, None when there is none); ``suppressed_by`` comes from the dependency assessment."""
    kind = _KIND_BY_TRANSITION[transition.kind]
    if fault is None or not fault.is_open:
        if kind is DecisionKind.RESOLVE or transition.severity is None:
            return None  # nothing open to resolve
        kind, fault, previous = DecisionKind.OPEN, None, None
    else:
        if kind is DecisionKind.OPEN:
            kind = DecisionKind.ESCALATE  # already open: at most a severity change
        previous = fault.severity
    severity = transition.severity or previous
    assert severity is not None
    if kind is DecisionKind.ESCALATE and severity is previous:
        return None
    decision = FaultDecision(
        kind, key, transition.at, severity, previous, transition.flapping, transition.detail,
        suppressed_by=suppressed_by,
    )  # fmt: skip
    return with_mail(decision, fault, windows)


def with_mail(
    decision: FaultDecision, fault: FaultState | None, windows: Iterable[MaintenanceWindow]
) -> FaultDecision:
    """Attach the mail the decision calls for, or the reason it is held."""
    after = _after(fault, decision, None)
    mail = _mail_for(decision, after)
    if mail is None:
        return decision
    held = hold_reason(after, decision.at, windows)
    if held is not None:
        return replace(decision, held=held)
    return replace(decision, mail=mail)


def _mail_for(decision: FaultDecision, after: FaultState) -> Mail | None:
    """A change is mailed when it tells the recipients something: a new fault, a worse one
    than they were told about, flapping, or the recovery of one they were told about."""
    if decision.kind is DecisionKind.OPEN:
        return Mail.FLAPPING if decision.flapping else Mail.OPENED
    if decision.kind is DecisionKind.RESOLVE:
        return Mail.RESOLVED if after.notified_severity is not None else None
    if after.notified_severity is None:  # its opening was held back and is owed now
        return Mail.FLAPPING if decision.flapping else Mail.OPENED
    if decision.kind is DecisionKind.FLAPPING:
        return Mail.FLAPPING
    if after.severity.rank > after.notified_severity.rank:
        return Mail.ESCALATED
    return None


def apply_decision(fault: FaultState | None, decision: FaultDecision) -> FaultState:
    """The fault after ``decision``: what the store persists, with the decision's mail (if any)
    counted as sent, since the store writes it into the outbox in the same transaction."""
    return _after(fault, decision, decision.mail)


def _after(fault: FaultState | None, decision: FaultDecision, mail: Mail | None) -> FaultState:
    """``apply_decision`` of the decision with ``mail`` as its mail."""
    # Made in one go rather than as a chain of ``replace``: every decision of every run comes
    # here, and each ``replace`` of this frozen dataclass costs some 25 function calls.
    if fault is None or decision.kind is DecisionKind.OPEN:
        key, opened_at, detail, acknowledged_at = decision.key, decision.at, "", None
        resolved_at, notified, notified_at, recovery_notified = None, None, None, False
    else:
        key, opened_at, detail = fault.key, fault.opened_at, fault.detail
        acknowledged_at, resolved_at = fault.acknowledged_at, fault.resolved_at
        notified, notified_at = fault.notified_severity, fault.last_notified_at
        recovery_notified = fault.recovery_notified
    severity = decision.severity
    if decision.kind is DecisionKind.RESOLVE:
        resolved_at = decision.at
    if mail is Mail.RESOLVED:
        recovery_notified, notified_at = True, decision.at
    elif mail is not None:  # an opening, or news of it: the worst severity told
        if notified is None or severity.rank > notified.rank:
            notified = severity
        notified_at = decision.at
    return FaultState(
        key, severity, opened_at, decision.detail or detail, decision.flapping, resolved_at,
        acknowledged_at, decision.suppressed_by, notified, notified_at, recovery_notified,
    )  # fmt: skip
