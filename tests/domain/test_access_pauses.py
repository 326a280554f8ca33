"""Which lost access pauses a clock (``collector.domain.access``), as spans in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from collector.config.tiers import default_catalogue_path, load_catalogue
from collector.domain.access import (
    AccessLoss,
    access_pauses,
    grant_pause,
    is_access_check,
    is_outage_key,
    subtract,
    vendor_network_spans,
)
from collector.domain.sla import due_times

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CATALOGUE = load_catalogue(default_catalogue_path())


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


def test_it_counts_only_ssh_and_http_as_access_unless_a_check_says_otherwise() -> None:
    assert is_access_check("ssh", None) and is_access_check("http", None)
    assert not is_access_check("sip", None) and not is_access_check("tcp", None)
    assert is_access_check("tcp", True) and not is_access_check("http", False)


def test_it_knows_the_faults_that_are_outages_themselves() -> None:
    assert all(map(is_outage_key, ["remote.ssh", "host.down", "agent.heartbeat", "site.down:a"]))
    assert not is_outage_key("disk:/")


def test_it_pauses_only_while_the_agent_reported() -> None:
    loss = AccessLoss("acme", "remote.ssh", at(0), at(60))
    pauses = access_pauses([loss], host_silent=[(at(20), at(50))], vendor_down=[], until=at(90))
    assert [(p.start, p.end) for p in pauses] == [(at(0), at(20)), (at(50), at(60))]
    assert {p.reason for p in pauses} == {"SSH was unreachable"}


def test_it_sees_the_vendors_network_when_three_customers_lose_access_at_once() -> None:
    losses = [
        AccessLoss("acme", "remote.ssh", at(0), at(60)),
        AccessLoss("globex", "remote.http", at(10), at(50)),
        AccessLoss("initech", "remote.ssh", at(20), None),
        AccessLoss("acme", "remote.http", at(25), at(30)),
    ]
    assert vendor_network_spans(losses, [], at(90), customers=3) == [(at(20), at(50))]
    assert vendor_network_spans(losses[:2], [(at(5), at(7))], at(90), 3) == [(at(5), at(7))]


def test_it_holds_access_on_request_from_the_opening_until_given() -> None:
    (pause,) = grant_pause(at(0), at(45), until=at(90))
    assert (pause.start, pause.end, pause.reason) == (at(0), at(45), pause.reason)
    assert grant_pause(at(0), None, until=at(30))[0].end == at(30)
    assert grant_pause(at(0), at(0), until=at(30)) == []


def test_it_subtracts_holes_from_spans() -> None:
    assert subtract([(at(0), at(10))], [(at(2), at(3)), (at(8), at(20))]) == [
        (at(0), at(2)),
        (at(3), at(8)),
    ]


minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@given(
    opened=minutes,
    down_at=minutes,
    length=st.integers(min_value=1, max_value=24 * 60),
    lag=st.integers(min_value=0, max_value=3),
    access_lead=st.integers(min_value=0, max_value=3),
    tier=st.sampled_from(["cat1", "cat2", "priority-uk", "standard"]),
)
def test_it_never_moves_a_target_later_for_the_hosts_own_outage(
    opened: int, down_at: int, length: int, lag: int, access_lead: int, tier: str
) -> None:
    """The host goes down: its agent falls silent at ``down_at`` (the heartbeat fault opens three
    one-minute intervals later), its SSH and HTTP fail from up to three minutes after that, and
    everything comes back together. Whatever the incident, that outage pauses nothing."""
    silent = (at(down_at), at(down_at + length))
    lost = [
        AccessLoss("acme", key, at(down_at + min(lag + access_lead, length - 1)), silent[1])
        for key in ("remote.ssh", "remote.http")
    ]
    pauses = access_pauses(lost, host_silent=[silent], vendor_down=[], until=at(5 * 24 * 60))
    plain = due_times(CATALOGUE[tier], "major", at(opened))
    assert due_times(CATALOGUE[tier], "major", at(opened), pauses=pauses) == plain
