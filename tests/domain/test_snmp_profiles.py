"""What Mitel traps and polls mean: pure readings, and the severities they give a fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.domain.policy import PolicyBook, Severity, Status
from collector.domain.snmp_profiles import (
    MITEL_3300,
    RESTART,
    alarm_observation,
    read_trap,
    restart_settled,
)
from collector.domain.watches import TransitionKind, WatchState, evaluate

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
MITEL = "1.3.6.1.4.1.1027"
LEVEL = f"{MITEL}.4.1.1.2.2.1.0"


def test_it_reads_each_mitel_alarm_level() -> None:
    found = {}
    for value, word in ((1, "ok"), (2, "minor"), (3, "major"), (4, "critical")):
        reading = read_trap(MITEL_3300, f"{MITEL}.1.2.3.0.301", {LEVEL: value}, AT)
        [observation] = reading.observations
        assert reading.level == word
        found[word] = (observation.status, observation.severity)
    assert found == {
        "ok": (Status.OK, None),
        "minor": (Status.WARNING, Severity.MINOR),
        "major": (Status.WARNING, Severity.MAJOR),
        "critical": (Status.CRITICAL, Severity.CRITICAL),
    }


def test_it_keeps_a_trap_with_no_known_level_as_an_event_only() -> None:
    reading = read_trap(MITEL_3300, f"{MITEL}.1.2.3.0.301", {LEVEL: 9}, AT)
    assert reading.observations == [] and reading.level is None
    assert reading.events[0][0] == "trap"


def test_it_makes_restarts_a_fault_that_settles_and_failovers_events() -> None:
    restart = read_trap(MITEL_3300, f"{MITEL}.1.2.3.0.303", {}, AT)
    assert restart.restarted and restart.events == [("restart", "PBX restart complete")]
    assert [o.check_key for o in restart.observations] == [RESTART]
    failover = read_trap(MITEL_3300, f"{MITEL}.1.2.3.0.501", {}, AT)
    assert failover.observations == [] and failover.events[0][0] == "event"

    later = AT + timedelta(seconds=MITEL_3300.restart_fault_s)
    assert restart_settled(MITEL_3300, AT, later - timedelta(seconds=1)) is None
    settled = restart_settled(MITEL_3300, AT, later)
    assert settled is not None and settled.status is Status.OK


def test_it_changes_a_faults_severity_from_minor_to_major_on_one_reading() -> None:
    key = MITEL_3300.alarm_key
    policy = PolicyBook().for_check(key)
    state, made = evaluate(WatchState(key), alarm_observation(MITEL_3300, "minor", AT), policy, AT)
    assert [(t.kind, t.severity) for t in made] == [(TransitionKind.RAISED, Severity.MINOR)]
    later = AT + timedelta(minutes=2)
    categories = [{"name": "Trunks", "level": "major"}]
    major = alarm_observation(MITEL_3300, "major", later, categories)
    state, made = evaluate(state, major, policy, later)
    assert [(t.kind, t.severity) for t in made] == [
        (TransitionKind.SEVERITY_CHANGED, Severity.MAJOR)
    ]
    assert made[0].detail == "Mitel alarm level: major; in alarm: Trunks (major)"
