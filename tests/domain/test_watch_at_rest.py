"""An ok folded into a check at rest changes no decision: whatever observations follow, the
check makes the same transitions with that ok as without it. Nor does a reading of its own
status folded into a raised fault that is steady. The heartbeat sweep relies on these to
leave alone the agents that report, and those long silent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from collector.domain.policy import CheckPolicy, Status
from collector.domain.watches import (
    Observation,
    WatchState,
    WatchTransition,
    at_rest,
    evaluate,
    steady_failing,
)

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
KEY = "agent.heartbeat"

policies = st.builds(
    CheckPolicy,
    raise_after=st.integers(1, 3),
    recover_after=st.integers(1, 3),
    flap_changes=st.integers(2, 6),
    flap_window_s=st.sampled_from([300.0, 1800.0]),
)
#: Each observation: seconds after the one before, and its status.
readings = st.lists(
    st.tuples(st.integers(0, 900), st.sampled_from(list(Status))), min_size=0, max_size=25
)


def _as_of(state: WatchState, policy: CheckPolicy, moment: datetime) -> WatchState:
    """The state with the changes that are out of the flap window at ``moment`` dropped, as
    the next observation drops them."""
    horizon = moment - timedelta(seconds=policy.flap_window_s)
    return replace(state, changes=tuple(t for t in state.changes if t > horizon))


def _unread_blanked(state: WatchState) -> WatchState:
    """The state without what an ok at rest may change: no decision reads it at rest."""
    return replace(state, observed_at=None, value=None, detail="", good_count=0)


def _fold(
    state: WatchState, policy: CheckPolicy, steps: list[tuple[int, Status]], start: datetime
) -> tuple[WatchState, list[WatchTransition], datetime]:
    at, made = start, []
    for gap_s, status in steps:
        at += timedelta(seconds=gap_s)
        state, transitions = evaluate(state, Observation(KEY, at, status, float(gap_s)), policy, at)
        made += transitions
    return state, made, at


@settings(max_examples=300)
@example(  # raised, then two oks across the flap window: one ok short of recovering
    policy=CheckPolicy(raise_after=1, recover_after=3, flap_window_s=300.0),
    history=[(0, Status.CRITICAL)], oks=0, gap_s=60, future=[],
)  # fmt: skip
@example(  # recovered a minute ago: its change is in the window, which the ok moves on
    policy=CheckPolicy(raise_after=1, recover_after=1, flap_changes=3, flap_window_s=300.0),
    history=[(0, Status.CRITICAL), (60, Status.OK)], oks=-1, gap_s=200,
    future=[(30, Status.CRITICAL), (30, Status.OK), (30, Status.CRITICAL)],
)  # fmt: skip
@given(
    policy=policies, history=readings, oks=st.integers(-1, 3), gap_s=st.integers(0, 900),
    future=readings,
)  # fmt: skip
def test_an_ok_folded_into_a_check_at_rest_changes_no_later_decision(
    policy: CheckPolicy,
    history: list[tuple[int, Status]],
    oks: int,
    gap_s: int,
    future: list[tuple[int, Status]],
) -> None:
    # Any history; mostly ending in an ok, then one after the flap window and ``oks`` more,
    # which leaves a check at rest or one ok short of recovering.
    if oks >= 0:
        long_s = int(policy.flap_window_s) + 1
        history = [*history, (60, Status.OK), (long_s, Status.OK), *[(60, Status.OK)] * oks]
    state, _, last = _fold(WatchState(KEY), policy, history, T0)
    assume(at_rest(state, policy))
    moment = last + timedelta(seconds=gap_s)
    confirmed, made = evaluate(state, Observation(KEY, moment, Status.OK, 1.0), policy, moment)
    assert made == []
    assert at_rest(confirmed, policy)
    assert _unread_blanked(confirmed) == _unread_blanked(_as_of(state, policy, moment))

    without, made_without, end = _fold(state, policy, future, moment)
    with_it, made_with, _ = _fold(confirmed, policy, future, moment)
    assert made_with == made_without
    with_it, without = _as_of(with_it, policy, end), _as_of(without, policy, end)
    if any(status is not Status.OK for _, status in future):
        assert with_it == without
    else:
        assert _unread_blanked(with_it) == _unread_blanked(without)


def test_a_check_is_at_rest_only_when_ok_unraised_and_not_flapping() -> None:
    policy = CheckPolicy(flap_changes=3)
    ok = WatchState(KEY, Status.OK, observed_at=T0, good_count=4)
    assert at_rest(ok, policy)
    assert not at_rest(WatchState(KEY), policy)  # never observed: the first ok makes its state
    assert not at_rest(replace(ok, status=Status.WARNING), policy)
    assert not at_rest(replace(ok, raised=True), policy)  # an ok may be the one that recovers it
    assert not at_rest(replace(ok, flapping=True), policy)
    assert at_rest(replace(ok, changes=(T0, T0)), policy)  # the next one trims them as well
    # As many changes as start a spell (never stored so: the spell would have started).
    assert not at_rest(replace(ok, changes=(T0, T0, T0)), policy)


BAD = [Status.WARNING, Status.CRITICAL, Status.UNKNOWN]


def _unread_while_raised(state: WatchState) -> WatchState:
    """The state without what a reading of its own status may change in a steady raised
    fault: no decision reads it while the fault is raised."""
    return replace(state, observed_at=None, value=None, detail="", bad_count=0)


@settings(max_examples=300)
@example(  # raised by criticals, then criticals across the flap window: steady
    policy=CheckPolicy(raise_after=1, recover_after=1, flap_window_s=300.0),
    history=[(0, Status.OK)], bad=Status.CRITICAL, more=0, gap_s=60, future=[(60, Status.OK)],
)  # fmt: skip
@given(
    policy=policies, history=readings, bad=st.sampled_from(BAD), more=st.integers(-1, 3),
    gap_s=st.integers(0, 900), future=readings,
)  # fmt: skip
def test_a_reading_of_its_own_status_folded_into_a_steady_raised_fault_changes_no_later_decision(
    policy: CheckPolicy,
    history: list[tuple[int, Status]],
    bad: Status,
    more: int,
    gap_s: int,
    future: list[tuple[int, Status]],
) -> None:
    # Any history; mostly ending in three readings of one bad status a flap window apart and
    # ``more`` after them, which raises the fault and leaves no status change in the window.
    if more >= 0:
        long_s = int(policy.flap_window_s) + 1
        history = [*history, *[(long_s, bad)] * 3, *[(60, bad)] * more]
    state, _, last = _fold(WatchState(KEY), policy, history, T0)
    assume(steady_failing(state, policy))
    assert state.status is not None
    moment = last + timedelta(seconds=gap_s)
    reading = Observation(KEY, moment, state.status, 1.0, "again")
    confirmed, made = evaluate(state, reading, policy, moment)
    assert made == []
    assert steady_failing(confirmed, policy)
    assert _unread_while_raised(confirmed) == _unread_while_raised(_as_of(state, policy, moment))

    without, made_without, end = _fold(state, policy, future, moment)
    with_it, made_with, _ = _fold(confirmed, policy, future, moment)
    assert made_with == made_without
    with_it, without = _as_of(with_it, policy, end), _as_of(without, policy, end)
    if any(status is Status.OK for _, status in future):
        assert with_it == without
    else:
        assert _unread_while_raised(with_it) == _unread_while_raised(without)


def test_a_raised_fault_is_steady_only_when_unchanged_not_flapping_and_at_its_severity() -> None:
    policy = CheckPolicy()
    steady = WatchState(
        KEY, Status.CRITICAL, 600.0, "agent silent", T0, bad_count=9, bad_since=T0,
        last_bad_status=Status.CRITICAL, raised=True, severity=policy.critical_severity,
    )  # fmt: skip
    assert steady_failing(steady, policy)
    assert not steady_failing(replace(steady, raised=False), policy)  # may yet raise
    assert not steady_failing(replace(steady, flapping=True), policy)
    assert steady_failing(replace(steady, changes=(T0,)), policy)  # the next one trims it too
    assert not steady_failing(replace(steady, changes=(T0,) * policy.flap_changes), policy)
    # Raised as warning: a critical reading would change its severity.
    assert not steady_failing(replace(steady, severity=policy.warning_severity), policy)
    assert not steady_failing(replace(steady, status=Status.OK, severity=None), policy)
