"""``apply_decision`` makes the fault in one construction: it returns exactly what the chain
of ``replace`` it replaced returned, for every kind of decision and mail on every kind of fault
(none, new, open and told or not, acknowledged, resolved)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import product

from collector.domain.faults import (
    DecisionKind,
    FaultDecision,
    FaultKey,
    FaultState,
    Mail,
    apply_decision,
)
from collector.domain.policy import Severity

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
KEY = FaultKey("avon", "pbx1", "service:asterisk")


def _as_replaced(fault: FaultState | None, decision: FaultDecision) -> FaultState:
    """``apply_decision`` as it was written before: the reference it must agree with."""
    if fault is None or decision.kind is DecisionKind.OPEN:
        fault = FaultState(decision.key, decision.severity, decision.at)
    fault = replace(
        fault,
        severity=decision.severity,
        detail=decision.detail or fault.detail,
        flapping=decision.flapping,
        suppressed_by=decision.suppressed_by,
    )
    if decision.kind is DecisionKind.RESOLVE:
        fault = replace(fault, resolved_at=decision.at)
    if decision.notify:
        if decision.mail is Mail.RESOLVED:
            return replace(fault, recovery_notified=True, last_notified_at=decision.at)
        notified = fault.notified_severity
        if notified is None or fault.severity.rank > notified.rank:
            notified = fault.severity
        fault = replace(fault, notified_severity=notified, last_notified_at=decision.at)
    return fault


def _faults() -> list[FaultState | None]:
    opened = FaultState(KEY, Severity.MAJOR, T0, "asterisk stopped")
    return [
        None,
        opened,
        replace(opened, notified_severity=Severity.MAJOR, last_notified_at=T0),
        replace(opened, notified_severity=Severity.CRITICAL, flapping=True, suppressed_by="x"),
        replace(opened, notified_severity=Severity.MINOR, acknowledged_at=T0),
        replace(opened, resolved_at=T0, recovery_notified=True, notified_severity=Severity.MAJOR),
    ]


def test_it_agrees_with_the_chain_of_replace_it_replaced() -> None:
    at = T0 + timedelta(minutes=5)
    cases = product(
        _faults(), DecisionKind, [None, *Mail], Severity, ("", "new detail"), (False, True),
        (None, "host.down"),
    )  # fmt: skip
    count = 0
    for fault, kind, mail, severity, detail, flapping, by in cases:
        decision = FaultDecision(
            kind, KEY, at, severity, None, flapping, detail, mail, suppressed_by=by
        )
        assert apply_decision(fault, decision) == _as_replaced(fault, decision)
        count += 1
    assert count == 6 * 8 * 6 * 3 * 2 * 2 * 2  # every combination
