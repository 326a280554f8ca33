"""Hand-computed due times for every seed tier, from the shipped ``config/tiers.yaml``.

Each case's arithmetic is in its comment; times are written in UTC with the local time beside.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from collector.config.tiers import default_catalogue_path, load_catalogue
from collector.domain.announcements import Announcement, tier_with_announcements
from collector.domain.calendar import Pause, WorkingHours
from collector.domain.sla import due_times, explain, sla_warnings
from collector.domain.tiers import Tier


@pytest.fixture(scope="module")
def tiers() -> dict[str, Tier]:
    return load_catalogue(default_catalogue_path())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def due(tier: Tier, at: str, severity: str = "major", **kwargs: object) -> dict[str, datetime]:
    return due_times(tier, severity, utc(at), **kwargs)  # type: ignore[arg-type]


def test_it_carries_cat1_over_a_bank_holiday_weekend(tiers: dict[str, Tier]) -> None:
    # Fri 22 May 2026 16:30 BST: 30 min on Friday; Mon 25 May is the Spring Bank Holiday;
    # 7 h 30 min more from Tue 09:00 BST is 16:30 BST = 15:30 UTC.
    found = explain(tiers["cat1"], "major", utc("2026-05-22T16:30+01:00"))["first_response"]
    assert found.due == utc("2026-05-26T15:30Z")
    assert found.sentence == (
        "due Tue 26 May 16:30 Europe/London — opened Fri 22 May 16:30; 25 May public holiday"
    )


def test_it_runs_cat2_from_7am_after_a_late_evening_fault(tiers: dict[str, Tier]) -> None:
    # Tue 10 Nov 2026 22:30 GMT: 30 min to 23:00, 3 h 30 min from Wed 07:00 = 10:30 GMT.
    assert due(tiers["cat2"], "2026-11-10T22:30Z")["first_response"] == utc("2026-11-11T10:30Z")
    # The same on a Friday waits for Monday: Cat2 extends hours, not days.
    assert due(tiers["cat2"], "2026-11-13T22:30Z")["first_response"] == utc("2026-11-16T10:30Z")


def test_it_answers_a_priority_uk_evening_call_by_11_next_day(tiers: dict[str, Tier]) -> None:
    # Mon 9 Mar 2026 18:00 GMT is outside 09:00-17:00: 2 working hours from Tue 09:00.
    assert due(tiers["priority-uk"], "2026-03-09T18:00Z")["first_response"] == utc(
        "2026-03-10T11:00Z"
    )


def test_it_explains_a_christmas_call_with_holidays_and_a_pause(tiers: dict[str, Tier]) -> None:
    # Thu 24 Dec 2020 18:10 GMT; 25 Dec and Mon 28 Dec (Boxing Day observed) are bank holidays;
    # Tue 29 Dec 09:00 + 2 h, plus 40 min of SSH outage during working time = 11:40.
    ssh_down = Pause(utc("2020-12-29T09:10Z"), utc("2020-12-29T09:50Z"), "SSH was unreachable")
    found = explain(tiers["priority-uk"], "critical", utc("2020-12-24T18:10Z"), pauses=[ssh_down])
    clock = found["first_response"]
    assert clock.due == utc("2020-12-29T11:40Z")
    assert clock.sentence == (
        "due Tue 29 Dec 11:40 Europe/London — opened Thu 24 Dec 18:10 outside hours; "
        "25, 28 Dec public holidays; paused 40 min while SSH was unreachable"
    )
    assert clock.started_outside_hours and clock.counting_from == utc("2020-12-29T09:00Z")
    assert [p.working_time for p in clock.paused] == [timedelta(minutes=40)]


#: A Christmas shutdown as the vendor would announce it (`calendar announce`); the shipped
#: catalogue holds no such days.
MORNING = (WorkingHours(9 * 60, 12 * 60),)
CHRISTMAS_2026 = (
    Announcement("uk-office", date(2026, 12, 24), MORNING, "Christmas Eve reduced hours"),
    *(Announcement("uk-office", date(2026, 12, d), (), "Christmas shutdown") for d in (29, 30, 31)),
)


def test_it_applies_the_christmas_shutdown_override(tiers: dict[str, Tier]) -> None:
    # Wed 23 Dec 2026 16:00: 1 h; Thu 24 Dec reduced hours 09:00-12:00: 3 h; 25 and 28 Dec bank
    # holidays; 29-31 Dec shutdown; 1 Jan holiday; Mon 4 Jan 09:00 + 4 h = 13:00 GMT.
    announced = tier_with_announcements(tiers["cat1"], CHRISTMAS_2026)
    found = explain(announced, "minor", utc("2026-12-23T16:00Z"))["first_response"]
    assert found.due == utc("2027-01-04T13:00Z")
    assert found.sentence == (
        "due Mon 4 Jan 13:00 Europe/London — opened Wed 23 Dec 16:00; 25, 28 Dec, 1 Jan public "
        "holidays; 24 Dec Christmas Eve reduced hours; 29, 30, 31 Dec Christmas shutdown"
    )


def test_it_crosses_the_us_november_dst_change_on_standard(tiers: dict[str, Tier]) -> None:
    # Fri 30 Oct 2026 18:00 EDT (22:00 UTC): 1 h to 19:00; clocks go back Sun 1 Nov;
    # Mon 2 Nov 07:00 EST (12:00 UTC) + 11 h = 18:00 EST = 23:00 UTC (not 22:00).
    assert due(tiers["standard"], "2026-10-30T18:00-04:00")["first_response"] == utc(
        "2026-11-02T23:00Z"
    )


def test_it_answers_a_voicemail_by_the_close_of_the_next_business_day(
    tiers: dict[str, Tier],
) -> None:
    # Standard: a message at 20:00 Mon is answered by 19:00 Tue (12 working hours).
    assert due(tiers["standard"], "2026-03-09T20:00-04:00")["first_response"] == utc(
        "2026-03-10T19:00-04:00"
    )


def test_it_pages_premium_critical_around_the_clock(tiers: dict[str, Tier]) -> None:
    premium = tiers["premium"]
    # 01:30 EDT on Sun 1 Nov 2026 + 1 h = 01:30 EST, one real hour later.
    at = "2026-11-01T01:30-04:00"
    assert due(premium, at, "critical")["first_response"] == utc("2026-11-01T01:30-05:00")
    # A major fault waits for the staffed line: Mon 07:00 EST + 12 h = 19:00 EST.
    assert due(premium, at, "major")["first_response"] == utc("2026-11-02T19:00-05:00")
    assert premium.escalation.pages("critical") and not premium.escalation.pages("major")
    assert premium.escalation.page_response == timedelta(hours=1)
    assert premium.targets("critical")["first_response"].describe() == "1 h around the clock"
    assert premium.targets("major")["first_response"].describe() == "12 h working time"


def test_it_crosses_the_european_march_change_on_per_incident(tiers: dict[str, Tier]) -> None:
    # Fri 27 Mar 2026 21:30 CET (20:30 UTC): 30 min to 22:00; summer time from Sun 29 Mar;
    # Mon 30 Mar 08:00 CEST (06:00 UTC) + 1 h 30 = 09:30 CEST = 07:30 UTC.
    assert due(tiers["per-incident"], "2026-03-27T21:30+01:00")["first_response"] == utc(
        "2026-03-30T07:30Z"
    )


def test_it_answers_priority_us_on_eastern_hours(tiers: dict[str, Tier]) -> None:
    # 16:00 EDT: 30 min to 16:30, then 08:30 + 1 h 30 = 10:00 EDT next day.
    assert due(tiers["priority-us"], "2026-06-16T16:00-04:00")["first_response"] == utc(
        "2026-06-17T10:00-04:00"
    )


@pytest.mark.parametrize(
    ("confirmed", "dispatch", "delivery"),
    [
        # Tue 10 Mar 2026 (EDT): by 15:00 ships the same day, delivered next business day.
        ("2026-03-10T14:59-04:00", "2026-03-10T17:00-04:00", "2026-03-11T17:00-04:00"),
        ("2026-03-10T15:00-04:00", "2026-03-10T17:00-04:00", "2026-03-11T17:00-04:00"),
        ("2026-03-10T15:01-04:00", "2026-03-11T17:00-04:00", "2026-03-12T17:00-04:00"),
        # Friday after the cut-off ships Monday; Saturday ships Monday too.
        ("2026-03-13T15:01-04:00", "2026-03-16T17:00-04:00", "2026-03-17T17:00-04:00"),
        ("2026-03-14T10:00-04:00", "2026-03-16T17:00-04:00", "2026-03-17T17:00-04:00"),
    ],
)
def test_it_dispatches_premier_parts_by_the_3pm_cut_off(
    tiers: dict[str, Tier], confirmed: str, dispatch: str, delivery: str
) -> None:
    found = due(tiers["premier"], "2026-03-10T09:00-04:00", failure_confirmed_at=utc(confirmed))
    assert (found["parts_dispatch"], found["parts_delivery"]) == (utc(dispatch), utc(delivery))


@pytest.mark.parametrize(
    ("region", "returned_by"),
    [
        # Delivered Wed 11 Mar: 5 business days = Wed 18 Mar; 10 = Wed 25 Mar (17:00 EDT).
        ("north_america", "2026-03-18T21:00Z"),
        ("other", "2026-03-25T21:00Z"),
        ("anywhere-else", "2026-03-25T21:00Z"),
    ],
)
def test_it_wants_premier_parts_back_in_5_or_10_business_days(
    tiers: dict[str, Tier], region: str, returned_by: str
) -> None:
    confirmed = utc("2026-03-10T14:59-04:00")
    found = due(
        tiers["premier"], "2026-03-10T09:00Z", failure_confirmed_at=confirmed, region=region
    )
    assert found["part_return"] == utc(returned_by)


def test_it_skips_thanksgiving_when_counting_part_return_days(tiers: dict[str, Tier]) -> None:
    # Confirmed Fri 20 Nov 2026 16:00 (after cut-off): dispatch Mon 23, delivery Tue 24;
    # 5 business days skipping Thanksgiving (Thu 26): 25, 27, 30 Nov, 1, 2 Dec.
    found = due(
        tiers["premier"],
        "2026-11-20T16:00-05:00",
        failure_confirmed_at=utc("2026-11-20T16:00-05:00"),
        region="north_america",
    )
    assert found["part_return"] == utc("2026-12-02T17:00-05:00")


def test_it_sends_premier_plus_on_site_the_next_business_day(tiers: dict[str, Tier]) -> None:
    plus = tiers["premier-plus"]
    # Requested 03:00 Tue: the date must change, so by the close of Wednesday.
    tuesday = due(plus, "2026-03-10T03:00-04:00", onsite_requested_at=utc("2026-03-10T03:00-04:00"))
    assert tuesday["on_site"] == utc("2026-03-11T17:00-04:00")
    # Requested Friday evening: Monday.
    friday = utc("2026-03-13T19:00-04:00")
    assert due(plus, "2026-03-13T19:00-04:00", onsite_requested_at=friday)["on_site"] == utc(
        "2026-03-16T17:00-04:00"
    )


def test_it_gives_cat4_24_elapsed_hours_on_site_across_the_clock_change(
    tiers: dict[str, Tier],
) -> None:
    # Requested Sat 28 Mar 2026 12:00 GMT; BST from Sun 29 Mar: 24 h later is 13:00 BST.
    requested = utc("2026-03-28T12:00Z")
    ssh_down = Pause(requested, requested + timedelta(hours=5), "SSH was unreachable")
    found = due(
        tiers["cat4"], "2026-03-28T12:00Z", onsite_requested_at=requested, pauses=[ssh_down]
    )
    assert found["on_site"] == utc("2026-03-29T12:00Z")  # pauses do not move on-site clocks
    # The weekend pause costs no working time: Mon 09:00 BST + 8 h = 17:00 BST.
    assert found["first_response"] == utc("2026-03-30T17:00+01:00")


def test_it_delivers_cat2_replacements_the_next_business_day(tiers: dict[str, Tier]) -> None:
    found = due(tiers["cat2"], "2026-03-13T10:00Z", failure_confirmed_at=utc("2026-03-13T10:00Z"))
    assert found["parts_delivery"] == utc("2026-03-16T23:00Z")  # Monday's close, 23:00 GMT


def test_it_sets_no_targets_without_cover(tiers: dict[str, Tier]) -> None:
    assert due(tiers["none"], "2026-03-10T10:00Z", "critical") == {}
    assert not tiers["none"].covered
    assert due(tiers["cat-s"], "2026-03-10T10:00Z", "critical") == {}
    assert tiers["cat-s"].covered and tiers["cat-s"].billing.vendor_may_decline


def test_it_leaves_out_clocks_whose_start_is_not_known(tiers: dict[str, Tier]) -> None:
    assert set(due(tiers["premier-plus"], "2026-03-10T10:00Z")) == set()
    assert set(due(tiers["cat4"], "2026-03-10T10:00Z")) == {"first_response"}


def test_it_warns_at_a_fraction_of_working_time_not_wall_time(tiers: dict[str, Tier]) -> None:
    # Cat1 opened Fri 16:00 GMT: due Mon 16:00 (1 h + 7 h). 75% = 6 h: 1 h Fri + 5 h Mon = 14:00.
    cat1 = tiers["cat1"]
    opened = utc("2026-03-06T16:00Z")
    target_due = due(cat1, "2026-03-06T16:00Z")["first_response"]
    calendar = cat1.targets("major")["first_response"].calendar
    saturday = sla_warnings(calendar, opened, target_due, utc("2026-03-07T12:00Z"))
    assert saturday.warn_at == utc("2026-03-09T14:00Z")
    assert not saturday.warning_due and not saturday.breached
    assert saturday.remaining == timedelta(hours=7)
    at_warning = sla_warnings(calendar, opened, target_due, utc("2026-03-09T14:00Z"))
    assert at_warning.warning_due and not at_warning.breached
    assert at_warning.remaining == timedelta(hours=2)
    late = sla_warnings(calendar, opened, target_due, utc("2026-03-09T16:00Z"), fraction=0.5)
    assert late.breached and late.remaining == timedelta()
    assert late.warn_at == utc("2026-03-09T12:00Z")


def test_it_explains_chained_clocks_without_calling_them_outside_hours(
    tiers: dict[str, Tier],
) -> None:
    confirmed = utc("2026-03-10T14:59-04:00")
    found = explain(tiers["premier"], "minor", confirmed, failure_confirmed_at=confirmed)
    assert found["parts_delivery"].sentence == (
        "due Wed 11 Mar 17:00 America/New_York — dispatch due Tue 10 Mar 17:00"
    )
    assert found["parts_dispatch"].rule == "same day if by 15:00, else next business day"
