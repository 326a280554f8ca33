"""Dependencies: host down, unreachable, PBX down and site down explain the faults below them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.domain.dependencies import (
    Assessment,
    DependencyOutcome,
    HostFacts,
    assess,
    host_facts,
    is_derived,
    reconcile_derived,
)
from collector.domain.dependency_rules import DependencyRule, RuleSet
from collector.domain.faults import DecisionKind, FaultKey, FaultState, Mail, apply_decision
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Severity
from collector.domain.watches import WatchState

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PBX_CHECKS = frozenset(
    {"agent.heartbeat", "remote.ssh", "remote.http", "disk:/", "asterisk.ami", "sip",
     "asterisk.trunk:provider1", "cert.http"}
)  # fmt: skip


def host(host_id: str, *failing: str, site: str | None = None, customer: str = "acme") -> HostFacts:
    return HostFacts(host_id, customer, site, PBX_CHECKS, frozenset(failing))


def test_it_suppresses_nothing_when_failures_are_independent() -> None:
    outcome = assess([host("pbx1", "disk:/", "remote.http"), host("pbx2")])
    assert outcome.derived == () and dict(outcome.suppressed) == {}


def test_it_makes_agent_silent_and_unreachable_one_host_down_fault() -> None:
    pbx1 = host("pbx1", "agent.heartbeat", "remote.ssh", "remote.http", "disk:/", "cert.http")
    outcome = assess([pbx1, host("pbx2")])
    assert [d.key for d in outcome.derived] == [pbx1.key("host.down")]
    assert outcome.derived[0].severity is Severity.CRITICAL
    assert "agent silent" in outcome.derived[0].detail
    for check in pbx1.failing:
        assert outcome.suppressed_by(pbx1.key(check)) == "host.down"
    assert outcome.suppressed_by(pbx1.key("host.down")) is None


def test_it_keeps_agent_faults_of_a_host_that_is_unreachable_but_still_reporting() -> None:
    pbx1 = host("pbx1", "remote.ssh", "remote.http", "cert.http", "disk:/")
    outcome = assess([pbx1, host("pbx2")])
    assert "still reports" in outcome.derived[0].detail
    assert outcome.suppressed_by(pbx1.key("remote.ssh")) == "host.down"
    assert outcome.suppressed_by(pbx1.key("cert.http")) == "host.down"
    assert outcome.suppressed_by(pbx1.key("disk:/")) is None


def test_a_host_with_no_agent_unreachable_is_down_as_far_as_anyone_can_tell() -> None:
    remote = frozenset({"remote.snmp", "remote.http:admin"})
    outcome = assess([HostFacts("mitel1", "acme", None, remote, remote)])
    detail = outcome.derived[0].detail
    assert detail.endswith("not reachable (remote.http:admin, remote.snmp), and it has no agent")


def test_it_does_not_call_a_host_unreachable_while_one_remote_check_answers() -> None:
    outcome = assess([host("pbx1", "agent.heartbeat", "remote.ssh"), host("pbx2")])
    assert outcome.derived == ()
    assert dict(outcome.suppressed) == {}


AMI_RULES = RuleSet((DependencyRule("ami", "asterisk.ami", ("asterisk.*", "sip")),))


def test_it_lets_a_pbx_down_explain_its_trunk_and_sip_faults_by_its_rules() -> None:
    pbx1 = replace(
        host("pbx1", "asterisk.ami", "asterisk.trunk:provider1", "sip", "disk:/"),
        rules=AMI_RULES,
    )
    outcome = assess([pbx1])
    assert outcome.suppressed_by(pbx1.key("asterisk.trunk:provider1")) == "asterisk.ami"
    assert outcome.suppressed_by(pbx1.key("sip")) == "asterisk.ami"
    assert outcome.suppressed_by(pbx1.key("asterisk.ami")) is None
    assert outcome.suppressed_by(pbx1.key("disk:/")) is None


def test_it_makes_a_whole_site_down_one_site_fault() -> None:
    down = ("agent.heartbeat", "remote.ssh", "remote.http")
    hosts = [host("a", *down, site="leeds"), host("b", *down, site="leeds"), host("c", site="york")]
    outcome = assess(hosts)
    site_key = FaultKey("acme", None, "site.down:leeds")
    assert site_key in [d.key for d in outcome.derived]
    assert outcome.suppressed_by(site_key) is None
    for member in hosts[:2]:
        assert outcome.suppressed_by(member.key("host.down")) == "site.down:leeds"
        assert outcome.suppressed_by(member.key("agent.heartbeat")) == "site.down:leeds"
    assert is_derived("site.down:leeds") and is_derived("host.down") and not is_derived("sip")


def test_it_counts_a_silent_host_without_remote_checks_as_down_for_the_site() -> None:
    agent_only = HostFacts("c", "acme", None, frozenset({"agent.heartbeat"}),
                           frozenset({"agent.heartbeat"}))  # fmt: skip
    outcome = assess([host("a", "remote.ssh", "remote.http", "agent.heartbeat"), agent_only])
    assert FaultKey("acme", None, "site.down") in [d.key for d in outcome.derived]
    assert outcome.suppressed_by(agent_only.key("agent.heartbeat")) == "site.down"


def test_it_needs_two_hosts_for_a_site_fault() -> None:
    outcome = assess([host("a", "agent.heartbeat", "remote.ssh", "remote.http")])
    assert [d.key.check_key for d in outcome.derived] == ["host.down"]


def test_it_builds_facts_from_check_states() -> None:
    states = [WatchState("remote.ssh", raised=True), WatchState("disk:/")]
    facts = host_facts("pbx1", "acme", "leeds", states)
    assert facts.checks == {"remote.ssh", "disk:/"} and facts.failing == {"remote.ssh"}
    assert facts.unreachable


def test_it_opens_updates_and_resolves_derived_faults() -> None:
    pbx1 = host("pbx1", "remote.ssh", "remote.http")
    decisions = reconcile_derived(assess([pbx1]), [], T0, ())
    assert [(d.kind, d.mail) for d in decisions] == [(DecisionKind.OPEN, Mail.OPENED)]
    fault = apply_decision(None, decisions[0])
    assert reconcile_derived(assess([pbx1]), [fault], T0, ()) == []

    silent = host("pbx1", "remote.ssh", "remote.http", "agent.heartbeat")
    decisions = reconcile_derived(assess([silent]), [fault], T0, ())
    assert [(d.kind, d.mail) for d in decisions] == [(DecisionKind.UPDATE, None)]
    fault = apply_decision(fault, decisions[0])
    assert "agent silent" in fault.detail

    decisions = reconcile_derived(assess([host("pbx1")]), [fault], T0 + timedelta(hours=1), ())
    assert [(d.kind, d.mail) for d in decisions] == [(DecisionKind.RESOLVE, Mail.RESOLVED)]


def test_it_records_a_derived_fault_inside_maintenance_without_mailing_it() -> None:
    window = MaintenanceWindow("w", "once", T0, T0 + timedelta(hours=1), customer_id="acme")
    decisions = reconcile_derived(assess([host("pbx1", "remote.ssh", "remote.http")]), [], T0,
                                  [window])  # fmt: skip
    assert decisions[0].kind is DecisionKind.OPEN and not decisions[0].notify
    assert decisions[0].held == "maintenance"


def test_it_suppresses_host_down_faults_under_an_open_site_fault() -> None:
    down = ("agent.heartbeat", "remote.ssh", "remote.http")
    outcome = assess([host("a", *down), host("b", *down)])
    decisions = reconcile_derived(outcome, [], T0, ())
    mailed = {d.key.check_key: d.notify for d in decisions}
    assert mailed == {"host.down": False, "site.down": True}
    assert all(d.kind is DecisionKind.OPEN for d in decisions)


def test_it_ignores_resolved_faults_passed_as_open() -> None:
    old = FaultState(FaultKey("acme", "pbx1", "host.down"), Severity.CRITICAL, T0, resolved_at=T0)
    assert reconcile_derived(assess([host("pbx1")]), [old], T0, ()) == []


CHECKS = ("agent.heartbeat", "remote.ssh", "remote.http", "cert.http", "disk:/", "asterisk.ami",
          "asterisk.trunk:t1", "sip")  # fmt: skip


@st.composite
def fleet_and_changes(draw: st.DrawFn) -> tuple[list[HostFacts], list[HostFacts]]:
    """A few hosts of two customers and two sites, then a run of changes to their facts."""
    hosts = []
    for index in range(draw(st.integers(1, 6))):
        customer, site = draw(st.sampled_from([("a", None), ("a", "leeds"), ("b", None)]))
        checks = frozenset(draw(st.sets(st.sampled_from(CHECKS))))
        failing = (
            frozenset(draw(st.sets(st.sampled_from(sorted(checks))))) if checks else frozenset()
        )
        hosts.append(HostFacts(f"h{index}", customer, site, checks, failing))
    changes = []
    for _ in range(draw(st.integers(1, 12))):
        before = draw(st.sampled_from(hosts))
        checks = before.checks | draw(st.sets(st.sampled_from(CHECKS), max_size=2))
        failing = (
            frozenset(draw(st.sets(st.sampled_from(sorted(checks))))) if checks else frozenset()
        )
        changes.append(replace(before, checks=checks, failing=failing))
    return hosts, changes


def _moved(before: DependencyOutcome, after: DependencyOutcome) -> set[FaultKey]:
    suppressed = {
        key for key in before.suppressed.keys() | after.suppressed.keys()
        if before.suppressed_by(key) != after.suppressed_by(key)
    }  # fmt: skip
    derived = set(before.derived) ^ set(after.derived)
    return suppressed | {fault.key for fault in derived}


@settings(max_examples=300, deadline=None)
@given(fleet_and_changes())
def test_it_keeps_an_assessment_current_one_host_at_a_time_as_assess_would_find_it(
    case: tuple[list[HostFacts], list[HostFacts]],
) -> None:
    hosts, changes = case
    assessment = Assessment(hosts)
    assert assessment.outcome() == assess(hosts)
    assessment.take_changes()
    current = {host.host_id: host for host in hosts}
    for changed in changes:
        before = assess(current.values())
        current[changed.host_id] = changed
        assessment.update(changed)
        expected = assess(current.values())
        assert assessment.outcome() == expected  # the same derived faults, in the same order
        for key in expected.suppressed:
            assert assessment.suppressed_by(key) == expected.suppressed_by(key)
        assert assessment.take_changes() == _moved(before, expected)


def test_it_names_every_host_of_a_site_that_goes_down_and_only_then() -> None:
    down = ("agent.heartbeat", "remote.ssh", "remote.http")
    hosts = [host("a", *down), host("b", *down), host("c")]
    assessment = Assessment(hosts)
    assessment.take_changes()
    assessment.update(host("c", "disk:/"))
    assert assessment.take_changes() == set()
    assessment.update(host("c", *down))
    site_key = FaultKey("acme", None, "site.down")
    moved = assessment.take_changes()
    assert site_key in moved and hosts[0].key("agent.heartbeat") in moved
    assert assessment.suppressed_by(hosts[0].key("host.down")) == "site.down"
    assert [d.key for d in assessment.derived([site_key])] == [site_key]
