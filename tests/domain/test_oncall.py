"""Who is on call: weekly handovers in the rotation's zone, across DST, and the escalation chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

import pytest

from collector.domain.oncall import OnCallRota, Pager, Person, Rotation

NAMES = ("alice", "bob", "carol")
# Monday 5 January 2026: the first handover, 09:00 in New York (14:00 UTC, winter time).
FIRST = date(2026, 1, 5)


def _rota(escalation: tuple[str, ...] | None = None) -> OnCallRota:
    people = {
        name: Person(name, "America/New_York", Pager("email", f"{name}@sms.example"))
        for name in (*NAMES, "lead")
    }
    rotation = Rotation("America/New_York", 0, time(9, 0), FIRST, NAMES)
    return OnCallRota(people, rotation, escalation)


def _on_call(at: datetime) -> str:
    person = _rota().on_call_at(at)
    assert person is not None
    return person.name


def test_it_hands_over_weekly_at_the_local_handover_time() -> None:
    assert _on_call(datetime(2026, 1, 5, 13, 59, tzinfo=UTC)) == "carol"  # the week before
    assert _on_call(datetime(2026, 1, 5, 14, 0, tzinfo=UTC)) == "alice"
    assert _on_call(datetime(2026, 1, 11, 23, 0, tzinfo=UTC)) == "alice"
    assert _on_call(datetime(2026, 1, 12, 14, 0, tzinfo=UTC)) == "bob"
    assert _on_call(datetime(2026, 1, 19, 14, 0, tzinfo=UTC)) == "carol"
    assert _on_call(datetime(2026, 1, 26, 14, 0, tzinfo=UTC)) == "alice"


def test_it_keeps_the_handover_at_nine_local_across_the_spring_change() -> None:
    # Clocks went forward on Sunday 8 March 2026: 09:00 EDT on the 9th is 13:00 UTC.
    assert _on_call(datetime(2026, 3, 9, 12, 59, tzinfo=UTC)) == "carol"
    assert _on_call(datetime(2026, 3, 9, 13, 0, tzinfo=UTC)) == "alice"


def test_it_goes_round_the_rotation_before_the_first_handover_too() -> None:
    assert _on_call(datetime(2025, 12, 29, 14, 0, tzinfo=UTC)) == "carol"
    assert _on_call(datetime(2025, 12, 22, 14, 0, tzinfo=UTC)) == "bob"


def test_it_escalates_through_the_rest_of_the_rotation_in_order() -> None:
    week_of_bob = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
    chain = _rota().escalation_chain(week_of_bob)
    assert [person.name for person in chain] == ["bob", "carol", "alice"]


def test_it_follows_an_explicit_escalation_list_after_the_person_on_call() -> None:
    week_of_alice = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    chain = _rota(("lead", "alice", "carol")).escalation_chain(week_of_alice)
    assert [person.name for person in chain] == ["alice", "lead", "carol"]


def test_it_pages_nobody_without_a_rotation() -> None:
    rota = OnCallRota()
    assert rota.on_call_at(datetime(2026, 1, 7, tzinfo=UTC)) is None
    assert rota.escalation_chain(datetime(2026, 1, 7, tzinfo=UTC)) == ()


def test_it_refuses_a_rotation_that_does_not_start_on_its_handover_day() -> None:
    with pytest.raises(ValueError, match="not a handover day"):
        Rotation("UTC", 0, time(9, 0), FIRST + timedelta(days=1), NAMES)


def test_it_refuses_a_rota_naming_people_it_does_not_define() -> None:
    rotation = Rotation("UTC", 0, time(9, 0), FIRST, ("alice", "zed"))
    alice = Person("alice", "UTC", Pager("email", "a@sms.example"))
    with pytest.raises(ValueError, match="zed"):
        OnCallRota({"alice": alice}, rotation)


def test_it_lists_the_shift_under_way_and_the_weeks_after() -> None:
    rota = OnCallRota(
        MappingProxyType(
            {
                name: Person(name, "UTC", Pager("email", f"{name}@sms.example"))
                for name in ("alice", "bob")
            }
        ),
        Rotation("Europe/London", 0, time(9, 0), date(2026, 3, 2), ("alice", "bob")),
    )
    shifts = rota.shifts_from(datetime(2026, 3, 25, 12, 0, tzinfo=UTC), 3)
    assert [s.person.name for s in shifts] == ["bob", "alice", "bob"]
    # London moves to summer time on 29 March: the handover stays at 09:00 local.
    assert [s.starts_at.isoformat() for s in shifts] == [
        "2026-03-23T09:00:00+00:00",
        "2026-03-30T08:00:00+00:00",
        "2026-04-06T08:00:00+00:00",
    ]
    assert shifts[0].ends_at == shifts[1].starts_at
    assert OnCallRota().shifts_from(datetime(2026, 3, 25, tzinfo=UTC), 3) == []
