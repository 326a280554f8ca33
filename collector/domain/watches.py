"""One watched check: observations in, a debounced fault lifecycle out.

``evaluate`` is the whole state machine. A check raises after enough bad observations (or a
long enough bad spell), changes severity within the same raised fault, recovers after enough
good ones, and turns into one *flapping* fault when it keeps changing its mind. Every call
returns the new state and the transitions it made; no transition, no mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from collector.domain.policy import (
    CheckPolicy,
    Severity,
    Status,
    from_iso,
    to_iso,
)


@dataclass(frozen=True)
class Observation:
    """What one look at a check found, at ``at`` (UTC)."""

    check_key: str
    at: datetime
    status: Status
    value: float | None = None
    detail: str = ""
    #: The fault's severity when the reading names its own (an SNMP alarm level: minor, major,
    #: critical), rather than the check policy's severity for the status.
    severity: Severity | None = None


class TransitionKind(StrEnum):
    RAISED = "raised"
    SEVERITY_CHANGED = "severity_changed"
    FLAPPING_STARTED = "flapping_started"  # opens the fault when none was raised yet
    FLAPPING_ENDED = "flapping_ended"  # quiet again and still failing: the fault stays
    RECOVERED = "recovered"


@dataclass(frozen=True)
class WatchTransition:
    """A change of a check's fault. ``severity`` is the fault's severity after the change."""

    kind: TransitionKind
    check_key: str
    at: datetime
    severity: Severity | None
    previous_severity: Severity | None
    status: Status
    detail: str
    value: float | None = None
    flapping: bool = False  # whether the check is flapping after the change


@dataclass(frozen=True)
class WatchState:
    """Everything ``evaluate`` remembers about one check between observations."""

    check_key: str
    status: Status | None = None  # last observed, None before the first observation
    value: float | None = None
    detail: str = ""
    observed_at: datetime | None = None
    bad_count: int = 0
    bad_since: datetime | None = None
    good_count: int = 0
    last_bad_status: Status | None = None
    raised: bool = False
    severity: Severity | None = None
    flapping: bool = False
    changes: tuple[datetime, ...] = ()  # status changes inside the flap window

    def to_json(self) -> dict[str, Any]:
        """The fields that differ from their defaults (``from_json`` restores the rest): a state
        is saved after every observation, and a settled check needs only a few of them."""
        data: dict[str, Any] = {"check_key": self.check_key}
        if self.status is not None:
            data["status"] = self.status.value
        if self.value is not None:
            data["value"] = self.value
        if self.detail:
            data["detail"] = self.detail
        if self.observed_at is not None:
            data["observed_at"] = to_iso(self.observed_at)
        if self.bad_count:
            data["bad_count"] = self.bad_count
        if self.bad_since is not None:
            data["bad_since"] = to_iso(self.bad_since)
        if self.good_count:
            data["good_count"] = self.good_count
        if self.last_bad_status is not None:
            data["last_bad_status"] = self.last_bad_status.value
        if self.raised:
            data["raised"] = True
        if self.severity is not None:
            data["severity"] = self.severity.value
        if self.flapping:
            data["flapping"] = True
        if self.changes:
            data["changes"] = [to_iso(moment) for moment in self.changes]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WatchState:
        """The state ``to_json`` saved. Evaluation decodes every state of a report's host, so
        the instance is made as ``_replaced`` makes one: its fields' defaults, then the saved
        values (each field named, so one added later gets its default)."""
        get = data.get
        status, last_bad, severity = get("status"), get("last_bad_status"), get("severity")
        observed, since, changes = get("observed_at"), get("bad_since"), get("changes")
        new = object.__new__(cls)
        new.__dict__.update(
            _DEFAULTS,
            check_key=data["check_key"],
            status=None if status is None else _status(status),
            value=get("value"),
            detail=get("detail", ""),
            observed_at=None if observed is None else from_iso(observed),
            bad_count=int(get("bad_count", 0)),
            bad_since=None if since is None else from_iso(since),
            good_count=int(get("good_count", 0)),
            last_bad_status=None if last_bad is None else _status(last_bad),
            raised=bool(get("raised", False)),
            severity=None if severity is None else _SEVERITIES.get(severity) or Severity(severity),
            flapping=bool(get("flapping", False)),
            changes=() if not changes else tuple(map(from_iso, changes)),
        )
        return new


#: Every field's default, for ``WatchState.from_json``.
_DEFAULTS = vars(WatchState(""))
_STATUSES = {status.value: status for status in Status}
_SEVERITIES = {severity.value: severity for severity in Severity}


def _status(value: str) -> Status:
    return _STATUSES.get(value) or Status(value)  # a value not known fails as Status does


def at_rest(state: WatchState, policy: CheckPolicy) -> bool:
    """A check at rest: ok, no fault raised, not flapping (so it has fewer status changes in
    the flap window than start a flapping spell: the last evaluation would have started one).

    An ok observation (not older than the last) makes no transition from a state at rest and
    leaves it at rest, changing only what no decision reads while it stays there: when it was
    observed, its value and detail, its count of oks in a row (read only to recover a raised
    fault, and zeroed by the bad observation that must come before one), and its changes,
    those out of the window dropped: the next observation drops them all the same, as its
    window starts no earlier. So for any observations that follow (none older than it),
    evaluating from the state with that ok folded in or left out makes the same transitions,
    and the same state from the first bad one on: a sweep that would only confirm an ok at
    rest can leave the check alone.
    """
    return (
        state.status is Status.OK
        and not state.raised
        and not state.flapping
        and len(state.changes) < policy.flap_changes
    )


def steady_failing(state: WatchState, policy: CheckPolicy) -> bool:
    """A raised fault at rest: not flapping (as in ``at_rest``), and at the severity its
    policy gives its status (which is bad: it is raised).

    Another reading of that same status (with no severity of its own, not older than the
    last) makes no transition and leaves it so, changing only what no decision reads while
    it is raised: when it was observed, its value and detail, its count of bad readings in a
    row (read only to raise, and zeroed by the ok that must come before a recovery; its first
    bad moment stays), and its changes out of the window, as in ``at_rest``. So for the
    observations that follow, folding that reading in or leaving it out makes the same
    transitions, and the same state from the first ok on: a sweep that would only find a
    silent agent silent again can leave it alone.
    """
    return (
        state.raised
        and not state.flapping
        and len(state.changes) < policy.flap_changes
        and state.status is not None
        and state.status is not Status.OK
        and state.severity is policy.severity_for(state.status)
    )


def evaluate(
    state: WatchState, observation: Observation, policy: CheckPolicy, now: datetime
) -> tuple[WatchState, list[WatchTransition]]:
    """Fold one observation into the check's state.

    Observations older than the last one are ignored (a replayed or re-sent report must not
    rewind the check). Times in the future (agent clock skew) are clamped to ``now``.
    """
    at = min(observation.at, now)
    if state.observed_at is not None and at < state.observed_at:
        return state, []
    if at != observation.at:
        observation = replace(observation, at=at)
    state = _record(state, observation, policy)
    if state.flapping:
        return _while_flapping(state, observation, policy)
    if len(state.changes) >= policy.flap_changes:
        return _start_flapping(state, observation, policy)
    if observation.status is Status.OK:
        return _on_good(state, observation, policy)
    return _on_bad(state, observation, policy)


def _record(state: WatchState, obs: Observation, policy: CheckPolicy) -> WatchState:
    """Counters, last values and the flap window, before any decision is taken."""
    changes = state.changes
    if changes:  # most checks have not changed status lately: nothing to trim
        horizon = obs.at - timedelta(seconds=policy.flap_window_s)
        changes = tuple(t for t in changes if t > horizon)
    if state.status is not None and obs.status is not state.status:
        changes += (obs.at,)
    good = obs.status is Status.OK
    return _replaced(
        state,
        status=obs.status,
        value=obs.value,
        detail=obs.detail,
        observed_at=obs.at,
        bad_count=0 if good else state.bad_count + 1,
        bad_since=None if good else state.bad_since or obs.at,
        good_count=state.good_count + 1 if good else 0,
        last_bad_status=state.last_bad_status if good else obs.status,
        changes=changes,
    )


def _replaced(state: WatchState, **changes: Any) -> WatchState:
    """``dataclasses.replace(state, **changes)`` for the one call made for every observation.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; copying
    the fields into a new instance's ``__dict__`` makes the same object at a third of the
    cost. Every field is copied, so fields added later are carried over too.
    """
    new = object.__new__(WatchState)
    new.__dict__.update(state.__dict__, **changes)
    return new


def _transition(
    kind: TransitionKind, state: WatchState, obs: Observation, previous: Severity | None
) -> WatchTransition:
    return WatchTransition(
        kind,
        obs.check_key,
        obs.at,
        state.severity,
        previous,
        obs.status,
        obs.detail,
        obs.value,
        state.flapping,
    )


def _on_bad(
    state: WatchState, obs: Observation, policy: CheckPolicy
) -> tuple[WatchState, list[WatchTransition]]:
    severity = _severity_of(obs, policy)
    if not state.raised:
        if not _should_raise(state, obs, policy):
            return state, []
        raised = replace(state, raised=True, severity=severity)
        return raised, [_transition(TransitionKind.RAISED, raised, obs, None)]
    # An unknown reading says nothing about how bad the fault is: keep its severity.
    if obs.status is Status.UNKNOWN or severity is state.severity:
        return state, []
    changed = replace(state, severity=severity)
    return changed, [_transition(TransitionKind.SEVERITY_CHANGED, changed, obs, state.severity)]


def _should_raise(state: WatchState, obs: Observation, policy: CheckPolicy) -> bool:
    after = policy.raise_after
    if obs.status is Status.CRITICAL and policy.raise_after_critical is not None:
        after = policy.raise_after_critical
    if after is not None and state.bad_count >= after:
        return True
    if policy.raise_for_s is not None and state.bad_since is not None:
        return (obs.at - state.bad_since).total_seconds() >= policy.raise_for_s
    return False


def _on_good(
    state: WatchState, obs: Observation, policy: CheckPolicy
) -> tuple[WatchState, list[WatchTransition]]:
    if not state.raised or state.good_count < policy.recover_after:
        return state, []
    recovered = replace(state, raised=False, severity=None)
    return recovered, [_transition(TransitionKind.RECOVERED, recovered, obs, state.severity)]


def _start_flapping(
    state: WatchState, obs: Observation, policy: CheckPolicy
) -> tuple[WatchState, list[WatchTransition]]:
    """One fault for the whole flapping spell, at the severity of the worst recent reading."""
    worst = _worse(state.severity, policy.severity_for(state.last_bad_status or Status.UNKNOWN))
    flapping = replace(state, flapping=True, raised=True, severity=worst)
    return flapping, [_transition(TransitionKind.FLAPPING_STARTED, flapping, obs, state.severity)]


def _while_flapping(
    state: WatchState, obs: Observation, policy: CheckPolicy
) -> tuple[WatchState, list[WatchTransition]]:
    """Silent while the check flaps, except that it may get worse; settle once quiet."""
    if state.changes:
        worse = _worse(state.severity, _severity_of(obs, policy))
        if worse is state.severity or obs.status is Status.UNKNOWN:
            return state, []
        escalated = replace(state, severity=worse)
        return escalated, [
            _transition(TransitionKind.SEVERITY_CHANGED, escalated, obs, state.severity)
        ]
    if obs.status is Status.OK:
        settled = replace(state, flapping=False, raised=False, severity=None)
        return settled, [_transition(TransitionKind.RECOVERED, settled, obs, state.severity)]
    severity = state.severity if obs.status is Status.UNKNOWN else _severity_of(obs, policy)
    settled = replace(state, flapping=False, severity=severity)
    return settled, [_transition(TransitionKind.FLAPPING_ENDED, settled, obs, state.severity)]


def _severity_of(obs: Observation, policy: CheckPolicy) -> Severity | None:
    if obs.severity is not None and obs.status is not Status.OK:
        return obs.severity
    return policy.severity_for(obs.status)


def _worse(a: Severity | None, b: Severity | None) -> Severity | None:
    if a is None or b is None:
        return a or b
    return a if a.rank >= b.rank else b
