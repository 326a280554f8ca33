"""Dependency rules as data: which check explains which, their roots, overrides and cycles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.domain.dependencies import HOST_DOWN, HostFacts, assess
from collector.domain.dependency_rules import (
    DependencyCatalogue,
    DependencyRule,
    RuleCycle,
    RuleSet,
    merged,
)
from collector.domain.faults import FaultKey

PROCESS = DependencyRule(
    "asterisk-process", "service:asterisk",
    ("asterisk.*", "sip", "port:5038", "port:5060*", "remote.sip*"),
)  # fmt: skip
AMI = DependencyRule("asterisk-ami", "asterisk.ami", ("asterisk.trunk:*", "sip", "remote.sip*"))
PBX = RuleSet((PROCESS, AMI))


def test_it_credits_every_explained_fault_to_its_root_cause() -> None:
    failing = frozenset({"service:asterisk", "asterisk.ami", "asterisk.trunk:t1", "sip", "disk:/"})
    assert PBX.roots(failing) == {
        "asterisk.ami": "service:asterisk",
        "asterisk.trunk:t1": "service:asterisk",
        "sip": "service:asterisk",
    }


def test_it_explains_nothing_while_the_cause_is_not_failing() -> None:
    assert PBX.roots(frozenset({"asterisk.trunk:t1", "sip"})) == {}
    assert PBX.roots(frozenset({"asterisk.ami", "asterisk.trunk:t1"})) == {
        "asterisk.trunk:t1": "asterisk.ami"
    }


def test_it_never_lets_a_fault_explain_itself() -> None:
    rule = DependencyRule("all-asterisk", "asterisk.ami", ("asterisk.*",))
    assert not rule.covers("asterisk.ami") and rule.covers("asterisk.trunk:t1")


def test_it_refuses_rules_that_explain_each_other_naming_one() -> None:
    back = DependencyRule("ami-explains-process", "asterisk.ami", ("service:*",))
    with pytest.raises(RuleCycle, match=r"ami-explains-process|asterisk-process") as caught:
        RuleSet((PROCESS, back))
    assert "cycle" in str(caught.value)


def test_it_lets_a_later_layer_replace_or_remove_a_rule_by_name() -> None:
    narrower = DependencyRule("asterisk-ami", "asterisk.ami", ("sip",))
    assert merged([PROCESS, AMI], [narrower]).rules == (PROCESS, narrower)
    assert merged([PROCESS, AMI], ["asterisk-ami"]).rules == (PROCESS,)


def test_it_overrides_a_kind_per_customer_and_per_host() -> None:
    catalogue = DependencyCatalogue(
        kinds={"pbx": (PROCESS, AMI)},
        customers={"acme": ("asterisk-ami",)},
        hosts={"acme-pbx-2": ("asterisk-process",)},
    )
    assert catalogue.for_host("pbx", "globex", "g1").names == ("asterisk-process", "asterisk-ami")
    assert catalogue.for_host("server", "globex", "g2").names == ()
    assert catalogue.for_host("pbx", "acme", "acme-pbx-1").names == ("asterisk-process",)
    assert catalogue.for_host("pbx", "acme", "acme-pbx-2").names == ()


def test_it_does_not_call_a_host_down_when_its_only_remote_failure_is_explained() -> None:
    checks = frozenset({"service:asterisk", "remote.sip", "agent.heartbeat"})
    failing = frozenset({"service:asterisk", "remote.sip"})
    outcome = assess([HostFacts("pbx", "acme", None, checks, failing, PBX)])
    assert outcome.derived == ()
    assert outcome.suppressed_by(FaultKey("acme", "pbx", "remote.sip")) == "service:asterisk"
    silent = HostFacts("pbx", "acme", None, checks, failing | {"agent.heartbeat"}, PBX)
    assert [d.key.check_key for d in assess([silent]).derived] == [HOST_DOWN]


CHECKS = ("service:asterisk", "asterisk.ami", "asterisk.trunk:t1", "sip", "port:5038",
          "remote.sip", "remote.ssh", "agent.heartbeat", "cert.http", "disk:/")  # fmt: skip


def _root_is_visible(facts: HostFacts) -> None:
    """Every failing check is mailed itself or explained by a chain that ends at a fault that
    is: nothing failing is hidden."""
    outcome = assess([facts])
    derived = {d.key for d in outcome.derived}
    for check in facts.failing:
        key, hops = facts.key(check), 0
        while (by := outcome.suppressed_by(key)) is not None:
            key, hops = facts.key(by), hops + 1
            assert key in derived or by in facts.failing
            assert hops <= len(CHECKS)
        assert key in derived or key.check_key in facts.failing


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.sampled_from(CHECKS), min_size=1),
    st.data(),
)
def test_it_never_hides_a_fault_when_a_rule_is_removed(
    checks: set[str], data: st.DataObject
) -> None:
    failing = frozenset(data.draw(st.sets(st.sampled_from(sorted(checks)))))
    full = HostFacts("pbx", "acme", None, frozenset(checks), failing, PBX)
    _root_is_visible(full)
    removed = data.draw(st.sampled_from(PBX.names))
    fewer = HostFacts("pbx", "acme", None, frozenset(checks), failing, PBX.without(removed))
    _root_is_visible(fewer)
    before, after = assess([full]), assess([fewer])
    for check in failing:
        key = full.key(check)
        by = after.suppressed_by(key)
        # Without the rule a fault is explained only by what still explains it: another rule,
        # or a host down that the removal itself may reveal, never by the removed rule.
        if by is not None and by != HOST_DOWN:
            assert fewer.explained.get(check) == by
        if before.suppressed_by(key) is None:
            assert by in (None, HOST_DOWN)
