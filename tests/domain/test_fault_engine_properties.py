"""Properties of the whole engine, driven by hypothesis with random observations, time,
maintenance windows, acknowledgements and dependency suppression.

The machine plays the store's part: it evaluates each observation, applies the decisions to
its fault rows, sweeps ``notifications_due`` and keeps every mail it would have sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from collector.domain.dependencies import HOST_DOWN, HostFacts, assess
from collector.domain.faults import (
    DecisionKind,
    FaultDecision,
    FaultKey,
    FaultState,
    Mail,
    apply_decision,
    decide,
    notifications_due,
)
from collector.domain.maintenance import MaintenanceWindow, in_maintenance
from collector.domain.policy import CheckPolicy, NotificationPolicy, Status
from collector.domain.watches import Observation, TransitionKind, WatchState, evaluate

T0 = datetime(2024, 3, 1, tzinfo=UTC)
KEY = FaultKey("acme", "pbx1", "service:asterisk")
NOTICES = (Mail.OPENED, Mail.ESCALATED, Mail.FLAPPING, Mail.REMINDER)


@dataclass(frozen=True)
class Sent:
    fault: int  # index into the machine's fault list
    mail: Mail
    at: datetime
    kind: DecisionKind


class FaultEngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.state = WatchState(KEY.check_key)
        self.faults: list[FaultState] = []
        self.windows: list[MaintenanceWindow] = []
        self.suppressed = False
        self.sent: list[Sent] = []
        self.held: set[int] = set()  # faults that ever had a mail held back
        self.notify = NotificationPolicy(reminder_interval_s=3600)
        self.policy = CheckPolicy()

    @initialize(
        raise_after=st.integers(1, 3),
        recover_after=st.integers(1, 3),
        flap_changes=st.integers(2, 8),
        flap_window_s=st.sampled_from([600.0, 1800.0]),
    )
    def choose_policy(
        self, raise_after: int, recover_after: int, flap_changes: int, flap_window_s: float
    ) -> None:
        self.policy = CheckPolicy(
            raise_after=raise_after,
            recover_after=recover_after,
            flap_changes=flap_changes,
            flap_window_s=flap_window_s,
        )

    # -- the store's part ------------------------------------------------------------------

    @property
    def open_index(self) -> int | None:
        found = [i for i, fault in enumerate(self.faults) if fault.is_open]
        assert len(found) <= 1, "two open faults for one check"
        return found[0] if found else None

    def record(self, index: int, decision: FaultDecision) -> None:
        if decision.held is not None:
            self.held.add(index)
        if decision.mail is None:
            return
        # Checked at sending time, against the windows and dependencies known then.
        assert not in_maintenance(KEY.host_id, KEY.customer_id, decision.at, self.windows)
        if self.suppressed:
            assert decision.mail is Mail.RESOLVED, "only a recovery goes out while suppressed"
        self.sent.append(Sent(index, decision.mail, decision.at, decision.kind))

    def observe_at(self, status: Status) -> list[TransitionKind]:
        before = self.open_index
        observation = Observation(KEY.check_key, self.now, status, None, status.value)
        self.state, transitions = evaluate(self.state, observation, self.policy, self.now)
        assert len(transitions) <= 1
        for transition in transitions:
            current = self.faults[before] if before is not None else None
            suppressed_by = HOST_DOWN if self.suppressed else None
            decision = decide(transition, KEY, current, self.windows, suppressed_by=suppressed_by)
            if decision is None:
                continue
            if decision.kind is DecisionKind.OPEN:
                self.faults.append(apply_decision(None, decision))
                index = len(self.faults) - 1
            else:
                assert before is not None
                self.faults[before] = apply_decision(self.faults[before], decision)
                index = before
            self.record(index, decision)
        if self.state.raised and before is not None and transitions == []:
            assert self.open_index == before, "the condition lasts, so must the fault"
        return [t.kind for t in transitions]

    def sweep(self) -> None:
        for index, fault in enumerate(self.faults):
            decision = notifications_due(fault, self.now, self.windows, self.notify)
            if decision is None:
                continue
            assert decision.kind in (DecisionKind.NOTIFY, DecisionKind.REMIND)
            if decision.kind is DecisionKind.NOTIFY and decision.mail is not Mail.RESOLVED:
                assert index in self.held, "a catch-up mail for a fault nothing held back"
            if decision.kind is DecisionKind.REMIND:
                assert fault.acknowledged_at is None
                last = max(sent.at for sent in self.sent if sent.fault == index)
                assert self.now - last >= timedelta(seconds=self.notify.reminder_interval_s)
            self.faults[index] = apply_decision(fault, decision)
            self.record(index, decision)

    # -- what happens to it ----------------------------------------------------------------

    @rule(
        status=st.sampled_from(list(Status)),
        seconds=st.integers(1, 900),
    )
    def observe(self, status: Status, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        previous_status = self.state.status
        mails_before = len(self.sent)
        kinds = self.observe_at(status)
        if not kinds:
            assert len(self.sent) == mails_before, "a mail without a state change"
        if previous_status is status and not self.state.flapping:
            assert TransitionKind.FLAPPING_STARTED not in kinds
        self.sweep()

    @rule(seconds=st.integers(60, 6 * 3600))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self.sweep()

    @rule(minutes=st.integers(1, 240))
    def maintenance(self, minutes: int) -> None:
        start = self.now
        window = MaintenanceWindow(
            f"w{len(self.windows)}", "once", start, start + timedelta(minutes=minutes),
            host_id=KEY.host_id,
        )  # fmt: skip
        self.windows.append(window)

    @rule()
    def acknowledge(self) -> None:
        index = self.open_index
        if index is not None and self.faults[index].acknowledged_at is None:
            self.faults[index] = replace(self.faults[index], acknowledged_at=self.now)

    @rule(on=st.booleans())
    def dependency(self, on: bool) -> None:
        """The host's reachability changes: the store re-marks the open fault."""
        self.suppressed = on
        index = self.open_index
        if index is not None:
            self.faults[index] = replace(
                self.faults[index], suppressed_by=HOST_DOWN if on else None
            )
        self.sweep()

    # -- what must always hold -------------------------------------------------------------

    @invariant()
    def one_fault_open_exactly_while_the_check_is_raised(self) -> None:
        assert (self.open_index is not None) == self.state.raised

    @invariant()
    def at_most_one_recovery_per_fault_and_only_after_its_opening(self) -> None:
        for index in range(len(self.faults)):
            mails = [s.mail for s in self.sent if s.fault == index]
            assert mails.count(Mail.RESOLVED) <= 1
            if Mail.RESOLVED in mails:
                first_notice = min(mails.index(m) for m in NOTICES if m in mails)
                assert first_notice < mails.index(Mail.RESOLVED)
                assert mails[-1] is Mail.RESOLVED

    @invariant()
    def states_survive_json(self) -> None:
        assert WatchState.from_json(self.state.to_json()) == self.state

    def teardown(self) -> None:
        """Let every window end and the check recover: each mailed fault gets one recovery."""
        self.suppressed = False
        self.faults = [replace(f, suppressed_by=None) for f in self.faults]
        self.now = max([self.now, *(w.ends_at for w in self.windows if w.ends_at)])
        self.sweep()  # a fault still open when its window ended is mailed now
        quiet_steps = int(self.policy.flap_window_s // 60) + self.policy.recover_after + 2
        for _ in range(quiet_steps):
            self.now += timedelta(minutes=1)
            self.observe_at(Status.OK)
        self.sweep()
        assert not self.state.raised and all(not fault.is_open for fault in self.faults)
        for index, fault in enumerate(self.faults):
            mails = [s.mail for s in self.sent if s.fault == index]
            told = any(mail in NOTICES for mail in mails)
            assert mails.count(Mail.RESOLVED) == (1 if told else 0), mails
            assert fault.recovery_notified == told


TestFaultEngine = FaultEngineMachine.TestCase
TestFaultEngine.settings = settings(
    max_examples=80,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

REMOTE = ("remote.ssh", "remote.http")
HOST_CHECKS = ("agent.heartbeat", *REMOTE, "disk:/", "asterisk.ami", "asterisk.trunk:t1", "sip")


@st.composite
def fleets(draw: st.DrawFn) -> list[HostFacts]:
    hosts = []
    for index in range(draw(st.integers(1, 5))):
        checks = frozenset(draw(st.sets(st.sampled_from(HOST_CHECKS), min_size=1)))
        failing = frozenset(draw(st.sets(st.sampled_from(sorted(checks)))))
        site = draw(st.sampled_from([None, "leeds"]))
        hosts.append(
            HostFacts(f"h{index}", draw(st.sampled_from(["a", "b"])), site, checks, failing)
        )
    return hosts


@settings(max_examples=100, deadline=None)
@given(fleets())
def test_it_explains_every_suppressed_fault_by_a_visible_one(hosts: list[HostFacts]) -> None:
    outcome = assess(hosts)
    derived = {d.key for d in outcome.derived}
    failing = {host.key(check) for host in hosts for check in host.failing}
    assert len(derived) == len(outcome.derived), "one derived fault per key"
    for key in outcome.suppressed:
        assert key in failing or key in derived
        cause, hops = key, 0
        while outcome.suppressed_by(cause) is not None:
            by = outcome.suppressed_by(cause)
            assert by is not None
            host_id = None if by.startswith("site.down") else cause.host_id
            cause, hops = FaultKey(cause.customer_id, host_id, by), hops + 1
            assert cause in derived or cause in failing
            assert hops <= 3, "suppression must not go round in circles"


@settings(max_examples=100, deadline=None)
@given(fleets())
def test_it_mails_one_fault_for_a_host_that_is_down(hosts: list[HostFacts]) -> None:
    outcome = assess(hosts)
    for host in hosts:
        if not (host.silent and host.unreachable):
            continue
        keys = {host.key(check) for check in host.failing} | {host.key(HOST_DOWN)}
        visible = [key for key in keys if outcome.suppressed_by(key) is None]
        assert len(visible) <= 1
        if visible:
            assert visible == [host.key(HOST_DOWN)]
