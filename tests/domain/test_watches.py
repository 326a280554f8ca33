"""The per-check state machine: debounce, severity within one fault, flapping, recovery."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from collector.domain.policy import (
    CheckPolicy,
    NotificationPolicy,
    PolicyBook,
    Severity,
    Status,
    Thresholds,
)
from collector.domain.watches import (
    Observation,
    TransitionKind,
    WatchState,
    WatchTransition,
    evaluate,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
OK, WARN, CRIT, UNKNOWN = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN
KEY = "service:asterisk"


def run(
    statuses: Iterable[Status],
    policy: CheckPolicy | None = None,
    *,
    step_s: float = 60,
    state: WatchState | None = None,
    start: datetime = T0,
) -> tuple[WatchState, list[WatchTransition]]:
    policy = policy or CheckPolicy()
    state = state or WatchState(KEY)
    transitions: list[WatchTransition] = []
    for i, status in enumerate(statuses):
        at = start + timedelta(seconds=i * step_s)
        state, made = evaluate(state, Observation(KEY, at, status, None, status.value), policy, at)
        transitions += made
    return state, transitions


def kinds(transitions: list[WatchTransition]) -> list[TransitionKind]:
    return [t.kind for t in transitions]


def test_it_raises_after_n_consecutive_failures() -> None:
    state, made = run([CRIT])
    assert made == [] and not state.raised
    state, made = run([CRIT, CRIT])
    assert kinds(made) == [TransitionKind.RAISED]
    assert made[0].severity is Severity.CRITICAL and state.raised


def test_it_does_not_raise_when_failures_are_not_consecutive() -> None:
    _, made = run([CRIT, OK, CRIT, OK, CRIT])
    assert made == []


def test_it_raises_after_a_for_duration_without_counting() -> None:
    policy = CheckPolicy(raise_after=None, raise_for_s=300)
    _, made = run([WARN] * 5, policy, step_s=60)
    assert made == []
    _, made = run([WARN] * 6, policy, step_s=60)
    assert kinds(made) == [TransitionKind.RAISED]
    assert made[0].at == T0 + timedelta(seconds=300)


def test_it_raises_once_and_stays_one_fault_while_the_condition_lasts() -> None:
    _, made = run([CRIT] * 50)
    assert kinds(made) == [TransitionKind.RAISED]


def test_it_recovers_after_m_oks_exactly_once() -> None:
    state, made = run([CRIT, CRIT, OK])
    assert kinds(made) == [TransitionKind.RAISED] and state.raised
    state, made = run([CRIT, CRIT, OK, OK, OK, OK])
    assert kinds(made) == [TransitionKind.RAISED, TransitionKind.RECOVERED]
    assert made[1].previous_severity is Severity.CRITICAL and not state.raised


def test_it_escalates_and_de_escalates_within_the_same_fault() -> None:
    _, made = run([WARN, WARN, CRIT, CRIT, WARN])
    assert kinds(made) == [
        TransitionKind.RAISED,
        TransitionKind.SEVERITY_CHANGED,
        TransitionKind.SEVERITY_CHANGED,
    ]
    assert [(t.previous_severity, t.severity) for t in made] == [
        (None, Severity.MAJOR),
        (Severity.MAJOR, Severity.CRITICAL),
        (Severity.CRITICAL, Severity.MAJOR),
    ]


def test_it_keeps_the_severity_when_a_reading_is_unknown() -> None:
    state, made = run([CRIT, CRIT, UNKNOWN, UNKNOWN])
    assert kinds(made) == [TransitionKind.RAISED]
    assert state.severity is Severity.CRITICAL and state.raised


def test_it_ignores_observations_older_than_the_last_one() -> None:
    state, _ = run([CRIT, CRIT])
    old = Observation(KEY, T0 - timedelta(minutes=5), OK)
    again, made = evaluate(state, old, CheckPolicy(), T0 + timedelta(minutes=5))
    assert again == state and made == []


def test_it_clamps_observations_from_the_future_to_now() -> None:
    future = Observation(KEY, T0 + timedelta(hours=1), CRIT)
    state, _ = evaluate(WatchState(KEY), future, CheckPolicy(raise_after=1), T0)
    assert state.observed_at == T0


def test_it_turns_a_flapping_check_into_one_fault_with_one_transition() -> None:
    state, made = run([CRIT, OK] * 20)
    assert kinds(made) == [TransitionKind.FLAPPING_STARTED]
    assert made[0].severity is Severity.CRITICAL and made[0].flapping
    assert state.flapping and state.raised


def test_it_flags_an_open_fault_as_flapping_without_opening_another() -> None:
    # Single oks never reach recover_after=2, so the raised fault is the one that flaps.
    _, made = run([CRIT, CRIT] + [OK, CRIT] * 4)
    assert kinds(made) == [TransitionKind.RAISED, TransitionKind.FLAPPING_STARTED]
    assert made[1].previous_severity is Severity.CRITICAL


def test_it_resolves_a_flapping_fault_once_quiet_for_a_window() -> None:
    policy = CheckPolicy()
    state, made = run([CRIT, OK] * 6, policy)
    assert kinds(made) == [TransitionKind.FLAPPING_STARTED]
    quiet = int(policy.flap_window_s // 60) + 1
    assert state.observed_at is not None
    start = state.observed_at + timedelta(minutes=1)
    state, made = run([OK] * quiet, policy, state=state, start=start)
    assert kinds(made) == [TransitionKind.RECOVERED]
    assert not state.flapping and not state.raised


def test_it_keeps_the_fault_open_when_flapping_ends_in_failure() -> None:
    state, _ = run([WARN, OK] * 6)
    assert state.observed_at is not None
    start = state.observed_at + timedelta(minutes=1)
    state, made = run([WARN] * 40, state=state, start=start)
    assert kinds(made) == [TransitionKind.FLAPPING_ENDED]
    assert state.raised and not state.flapping and state.severity is Severity.MAJOR


def test_it_escalates_while_flapping_but_never_de_escalates() -> None:
    state, made = run([WARN, OK] * 6 + [CRIT, OK, WARN, OK])
    assert kinds(made) == [TransitionKind.FLAPPING_STARTED, TransitionKind.SEVERITY_CHANGED]
    assert state.severity is Severity.CRITICAL


def test_it_does_not_count_slow_changes_as_flapping() -> None:
    # Six changes, but spread over far more than the 30-minute window.
    _, made = run([CRIT, CRIT, OK, OK] * 4, step_s=600)
    assert TransitionKind.FLAPPING_STARTED not in kinds(made)


def test_it_round_trips_its_state_through_json() -> None:
    state, _ = run([CRIT, OK] * 5 + [WARN])
    assert WatchState.from_json(state.to_json()) == state
    assert WatchState.from_json(WatchState("disk:/").to_json()) == WatchState("disk:/")
    with pytest.raises(ValueError, match="bogus"):
        WatchState.from_json({"check_key": "disk:/", "status": "bogus"})


@pytest.mark.parametrize(
    "bad",
    [
        {"raise_after": None, "raise_for_s": None},
        {"raise_after": 0},
        {"recover_after": 0},
        {"flap_changes": 1},
        {"raise_after_critical": 0},
    ],
)
def test_it_refuses_a_policy_that_cannot_work(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CheckPolicy(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["service:asterisk", "unit:asterisk.service", "port:5060/udp"])
def test_it_raises_at_once_on_a_critical_reading_the_agent_made_on_the_host(key: str) -> None:
    policy = PolicyBook().for_check(key)
    _, made = run([OK, CRIT], policy)
    assert kinds(made) == [TransitionKind.RAISED]
    assert made[0].status is CRIT and made[0].severity is Severity.MAJOR


def test_it_still_needs_two_warnings_from_the_host_and_two_oks_to_recover() -> None:
    policy = PolicyBook().for_check("unit:asterisk.service")
    _, made = run([OK, WARN], policy)  # one restart since the last report: nothing opens
    assert made == []
    _, made = run([WARN, WARN], policy)  # restarting report after report
    assert kinds(made) == [TransitionKind.RAISED]
    state, made = run([CRIT, OK], policy)
    assert kinds(made) == [TransitionKind.RAISED] and state.raised  # one good reading: still open
    _, made = run([CRIT, OK, OK], policy)
    assert kinds(made) == [TransitionKind.RAISED, TransitionKind.RECOVERED]


@pytest.mark.parametrize(
    "key", ["remote.ssh", "remote.sip:pbx", "asterisk.ami", "asterisk.registration:t", "sip"]
)
def test_it_keeps_debouncing_what_crosses_a_network_or_asks_a_busy_daemon(key: str) -> None:
    policy = PolicyBook().for_check(key)
    _, made = run([OK, CRIT], policy)
    assert made == []
    _, made = run([OK, CRIT, CRIT], policy)
    assert kinds(made) == [TransitionKind.RAISED]


def test_it_reads_an_unknown_from_the_host_as_a_probe_error_not_a_fact() -> None:
    _, made = run([UNKNOWN], CheckPolicy(raise_after_critical=1))
    assert made == []


def test_it_picks_the_policy_of_the_longest_matching_check_prefix() -> None:
    book = PolicyBook()
    local_fact = CheckPolicy(raise_after_critical=1, critical_severity=Severity.MAJOR)
    assert book.for_check("service:asterisk") == local_fact
    heartbeat = book.for_check("agent.heartbeat")
    assert heartbeat.raise_after == 1 and heartbeat.recover_after == 1
    assert book.for_check("disk:/var").severity_for(Status.WARNING) is Severity.MINOR
    assert book.for_check("remote.ssh").severity_for(Status.CRITICAL) is Severity.CRITICAL
    assert book.for_check("cert.http").severity_for(Status.WARNING) is Severity.MINOR
    assert book.for_check("something.new") == CheckPolicy()


def test_it_reads_policies_and_thresholds_from_partial_configuration() -> None:
    book = PolicyBook.from_json(
        {
            "default": {"raise_after": 3},
            "checks": {"disk:": {"raise_after": 2}, "sip": {"warning_severity": "minor"}},
        }
    )
    assert book.for_check("service:x").raise_after == 2  # the shipped override still applies
    assert book.for_check("unknown").raise_after == 3
    assert book.for_check("disk:/").raise_after == 2 and book.for_check("disk:/").recover_after == 1
    assert book.for_check("sip").severity_for(Status.WARNING) is Severity.MINOR
    assert book.for_check("sip").raise_after == 3
    thresholds = Thresholds.from_json({"disk": {"warning": 80}, "heartbeat_missed_intervals": 5})
    assert (thresholds.disk.warning, thresholds.disk.critical) == (80, 95)
    assert thresholds.heartbeat_missed_intervals == 5
    assert Thresholds.from_json(Thresholds().to_json()) == Thresholds()
    assert NotificationPolicy.from_json({"reminder_interval_s": 60}).reminder_interval_s == 60
    with pytest.raises(ValueError, match="raise_afterr"):
        PolicyBook.from_json({"default": {"raise_afterr": 1}})
    with pytest.raises(ValueError, match="dsk"):
        Thresholds.from_json({"dsk": {"warning": 1}})
