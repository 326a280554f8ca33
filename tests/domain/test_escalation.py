"""Paging decisions: page, re-page, escalate, stop — and the rules that must always hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.domain.escalation import (
    IncidentFacts,
    PageAction,
    PageKind,
    PageSent,
    PagingPolicy,
    next_page,
    next_page_at,
)

OPENED = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 03:00 in New York
PREMIUM = PagingPolicy(
    True, timedelta(hours=1), timedelta(minutes=15), escalate_after=timedelta(minutes=30)
)
CHAIN = ("alice", "bob", "carol")


def minutes(n: float) -> datetime:
    return OPENED + timedelta(minutes=n)


def simulate(
    policy: PagingPolicy,
    facts: IncidentFacts,
    chain: tuple[str, ...],
    sweeps: list[datetime],
    engineer_ack_at: datetime | None = None,
) -> list[PageSent]:
    """Sweep at each moment, as the collector does, recording every page sent."""
    sent: list[PageSent] = []
    for now in sweeps:
        acked = engineer_ack_at if engineer_ack_at and engineer_ack_at <= now else None
        action = next_page(policy, replace(facts, engineer_acknowledged_at=acked), chain, sent, now)
        if action is not None:
            sent.append(PageSent(now, action.kind, action.person))
    return sent


def test_it_pages_on_call_then_repages_then_escalates_round_the_chain() -> None:
    sweeps = [minutes(m) for m in range(0, 121, 5)]
    sent = simulate(PREMIUM, IncidentFacts(OPENED), CHAIN, sweeps)
    assert [(p.at, p.kind, p.person) for p in sent] == [
        (minutes(0), PageKind.PAGE, "alice"),
        (minutes(15), PageKind.REPAGE, "alice"),
        (minutes(30), PageKind.ESCALATE, "bob"),
        (minutes(45), PageKind.REPAGE, "bob"),
        (minutes(60), PageKind.ESCALATE, "carol"),
        (minutes(75), PageKind.REPAGE, "carol"),
        (minutes(90), PageKind.ESCALATE, "alice"),
        (minutes(105), PageKind.REPAGE, "alice"),
        (minutes(120), PageKind.ESCALATE, "bob"),
    ]


def test_it_says_whom_an_escalation_comes_from() -> None:
    sent = [PageSent(minutes(0), PageKind.PAGE, "alice")]
    action = next_page(PREMIUM, IncidentFacts(OPENED), CHAIN, sent, minutes(30))
    assert action == PageAction(PageKind.ESCALATE, "bob", after="alice")


def test_it_stops_when_an_engineer_acknowledges_or_responds_or_the_incident_ends() -> None:
    sent = [PageSent(minutes(0), PageKind.PAGE, "alice")]
    for facts in (
        IncidentFacts(OPENED, engineer_acknowledged_at=minutes(3)),
        IncidentFacts(OPENED, responded_at=minutes(3)),
        IncidentFacts(OPENED, ended_at=minutes(3)),
    ):
        assert next_page(PREMIUM, facts, CHAIN, sent, minutes(40)) is None


def test_it_keeps_paging_after_the_customer_acknowledges() -> None:
    facts = IncidentFacts(OPENED, customer_acknowledged_at=minutes(1))
    sent = [PageSent(minutes(0), PageKind.PAGE, "alice")]
    assert next_page(PREMIUM, facts, CHAIN, sent, minutes(15)) == PageAction(
        PageKind.REPAGE, "alice"
    )


def test_it_pages_nobody_for_a_tier_or_severity_that_does_not_page() -> None:
    quiet = PagingPolicy(pages=False, repage_after=timedelta(minutes=15))
    assert next_page(quiet, IncidentFacts(OPENED), CHAIN, [], minutes(0)) is None


def test_it_pages_nobody_while_the_faults_mail_is_held_and_starts_when_it_lifts() -> None:
    # A maintenance window until minute 60: planned work wakes nobody; paging then starts
    # from the first page, as if the incident had just opened.
    sent: list[PageSent] = []
    for now in (minutes(m) for m in range(0, 91, 5)):
        held = "maintenance" if now < minutes(60) else None
        facts = IncidentFacts(OPENED, held=held)
        action = next_page(PREMIUM, facts, CHAIN, sent, now)
        if action is not None:
            sent.append(PageSent(now, action.kind, action.person))
    assert [(p.at, p.kind, p.person) for p in sent] == [
        (minutes(60), PageKind.PAGE, "alice"),
        (minutes(75), PageKind.REPAGE, "alice"),
        (minutes(90), PageKind.ESCALATE, "bob"),
    ]
    explained = IncidentFacts(OPENED, held="suppressed:host_down")
    assert next_page(PREMIUM, explained, CHAIN, [], minutes(0)) is None


def test_it_pages_once_when_the_tier_sets_no_repage_or_escalation() -> None:
    once = PagingPolicy(pages=True)
    sweeps = [minutes(m) for m in range(0, 240, 10)]
    sent = simulate(once, IncidentFacts(OPENED), CHAIN, sweeps)
    assert [(p.kind, p.person) for p in sent] == [(PageKind.PAGE, "alice")]


def test_it_waits_to_wrap_round_to_someone_just_paged() -> None:
    # Escalating every 10 minutes round two people would page alice 10 minutes after her last
    # page; she is not paged again until 15 minutes have passed.
    quick = PagingPolicy(True, None, timedelta(minutes=15), timedelta(minutes=10))
    sweeps = [minutes(m) for m in range(0, 61, 5)]
    sent = simulate(quick, IncidentFacts(OPENED), ("alice", "bob"), sweeps)
    alice = [p.at for p in sent if p.person == "alice"]
    assert all(b - a >= timedelta(minutes=15) for a, b in pairwise(alice))


def test_it_goes_to_the_top_of_the_chain_when_the_person_paged_left_it() -> None:
    sent = [PageSent(minutes(0), PageKind.PAGE, "zed")]
    action = next_page(PREMIUM, IncidentFacts(OPENED), CHAIN, sent, minutes(30))
    assert action == PageAction(PageKind.ESCALATE, "alice", after="zed")


# Properties over random timings, chains, sweep moments and acknowledgements.

optional_minutes = st.one_of(st.none(), st.integers(1, 90).map(lambda m: timedelta(minutes=m)))
policies = st.builds(
    PagingPolicy, st.just(True), optional_minutes, optional_minutes, optional_minutes
)
chains = st.lists(
    st.sampled_from(["ann", "ben", "cat", "dev"]), min_size=1, max_size=4, unique=True
)
gaps = st.lists(st.integers(0, 45), min_size=1, max_size=40)
moments = st.integers(0, 600).map(minutes)
PROPERTY_SETTINGS = settings(max_examples=80, deadline=None)


def _sweeps(steps: list[int]) -> list[datetime]:
    total, found = 0, []
    for step in steps:
        total += step
        found.append(minutes(total))
    return found


@PROPERTY_SETTINGS
@given(policies, chains, gaps, moments)
def test_it_never_pages_after_an_engineer_acknowledges(
    policy: PagingPolicy, chain: list[str], steps: list[int], ack: datetime
) -> None:
    sent = simulate(policy, IncidentFacts(OPENED), tuple(chain), _sweeps(steps), ack)
    assert all(page.at < ack for page in sent)


@PROPERTY_SETTINGS
@given(policies, chains, gaps, moments, st.one_of(st.none(), moments))
def test_it_decides_the_same_whether_or_not_the_customer_acknowledged(
    policy: PagingPolicy,
    chain: list[str],
    steps: list[int],
    customer_ack: datetime,
    engineer_ack: datetime | None,
) -> None:
    sweeps = _sweeps(steps)
    quiet = simulate(policy, IncidentFacts(OPENED), tuple(chain), sweeps, engineer_ack)
    acked = IncidentFacts(OPENED, customer_acknowledged_at=customer_ack)
    assert simulate(policy, acked, tuple(chain), sweeps, engineer_ack) == quiet


@PROPERTY_SETTINGS
@given(policies, chains, gaps)
def test_it_never_pages_one_person_sooner_than_repage_after(
    policy: PagingPolicy, chain: list[str], steps: list[int]
) -> None:
    sent = simulate(policy, IncidentFacts(OPENED), tuple(chain), _sweeps(steps))
    rest = policy.repage_after or policy.escalate_after
    for person in chain:
        times = [page.at for page in sent if page.person == person]
        if rest is None:
            assert len(times) <= 1
        else:
            assert all(b - a >= rest for a, b in pairwise(times))


@PROPERTY_SETTINGS
@given(policies, chains, gaps)
def test_it_starts_with_the_person_on_call_at_the_first_sweep(
    policy: PagingPolicy, chain: list[str], steps: list[int]
) -> None:
    sweeps = _sweeps(steps)
    sent = simulate(policy, IncidentFacts(OPENED), tuple(chain), sweeps)
    assert sent[0] == PageSent(sweeps[0], PageKind.PAGE, chain[0])
    assert all(page.kind is not PageKind.PAGE for page in sent[1:])


# When the next page comes: never sooner than ``next_page_at`` says, and at that moment.

later = st.one_of(st.none(), st.integers(1, 300).map(lambda m: timedelta(minutes=m)))


@st.composite
def waiting_incidents(draw: st.DrawFn) -> dict[str, Any]:
    """An incident some minutes and pages into its wait, with a hold that lifts (or not) and a
    staffed line that closes (or not) some minutes from ``now``."""
    now = minutes(draw(st.integers(0, 600))) + timedelta(seconds=draw(st.integers(0, 59)))
    people = st.sampled_from(["ann", "ben", "cat", "dev", "zed"])
    sent = [
        PageSent(now - timedelta(minutes=ago), kind, person)
        for ago, kind, person in draw(
            st.lists(st.tuples(st.integers(0, 180), st.sampled_from(PageKind), people), max_size=5)
        )
    ]
    taken = draw(st.sampled_from([{}, {}, {}, {"responded_at": now}, {"ended_at": now}]))
    return {
        "now": now,
        "sent": sent,
        "facts": IncidentFacts(OPENED, **taken),
        "held": draw(st.sampled_from([None, None, "maintenance"])),
        "lifts": draw(later),
        "staffed": draw(st.booleans()),
        "closes": draw(later),
    }


@settings(max_examples=300, deadline=None)
@given(policies, chains, waiting_incidents(), st.lists(st.floats(0, 1), max_size=6))
def test_the_next_page_comes_at_the_moment_next_page_at_says_and_not_sooner(
    policy: PagingPolicy, chain: list[str], case: dict[str, Any], fractions: list[float]
) -> None:
    now = case["now"]
    lifts = None if case["lifts"] is None else now + case["lifts"]
    closes = None if case["closes"] is None else now + case["closes"]

    def page_at(at: datetime) -> PageAction | None:
        """``next_page`` with the facts as time alone makes them at ``at``."""
        held = case["held"] if lifts is None or at < lifts else None
        staffed = case["staffed"] and (closes is None or at < closes)
        facts = replace(case["facts"], held=held, desk_staffed=staffed)
        return next_page(policy, facts, tuple(chain), case["sent"], at)

    facts = replace(case["facts"], held=case["held"], desk_staffed=case["staffed"])
    due = next_page_at(
        policy, facts, tuple(chain), case["sent"], now, desk_closes_at=closes, hold_lifts_at=lifts
    )
    # None: nothing for days (sampled across them); else nothing before the moment, then a page.
    until = due if due is not None else now + timedelta(days=3)
    assert until >= now
    before = [now, until - timedelta(seconds=1)] + [now + (until - now) * f for f in fractions]
    assert all(page_at(at) is None for at in before if now <= at < until)
    if due is not None:
        assert page_at(due) is not None
