"""Business calendars: hours, holidays, overrides, DST and pauses, checked to the minute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.domain.calendar import (
    BusinessCalendar,
    DateOverride,
    Holiday,
    Pause,
    WorkingHours,
    local_to_utc,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H = WorkingHours.parse


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def office(
    zone: str = "Europe/London",
    hours: str = "09:00-17:00",
    holiday_country: str | None = None,
    holiday_subdiv: str | None = None,
    extra_holidays: tuple[Holiday, ...] = (),
    overrides: tuple[DateOverride, ...] = (),
) -> BusinessCalendar:
    """Mon-Fri office hours (comma-separated intervals), weekends closed."""
    day = tuple(H(part) for part in hours.split(","))
    weekly = (day,) * 5 + ((), ())
    return BusinessCalendar(
        zone, weekly, holiday_country, holiday_subdiv, extra_holidays, overrides
    )


def test_it_parses_hours_to_the_minute_and_allows_24_00() -> None:
    assert H("08:30-16:30") == WorkingHours(510, 990)
    assert H("00:00-24:00") == WorkingHours(0, 1440)
    assert str(H("07:05-23:00")) == "07:05-23:00"


@pytest.mark.parametrize("text", ["17:00-09:00", "9-5", "09:00-25:00", "09:60-10:00", ""])
def test_it_refuses_malformed_hours(text: str) -> None:
    with pytest.raises(ValueError):
        H(text)


def test_it_refuses_overlapping_hours_and_unknown_zones() -> None:
    with pytest.raises(ValueError, match="overlap"):
        office(hours="09:00-12:00,11:00-17:00")
    with pytest.raises(KeyError):
        office(zone="Europe/Atlantis")


def test_it_refuses_naive_datetimes_everywhere() -> None:
    cal, naive = office(), datetime(2026, 3, 9, 10, 0)
    for call in (
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
        lambda: cal.add_working_time(naive, timedelta(hours=1)),
        lambda: cal.working_time_between(naive, naive),
        lambda: cal.working_intervals_between(naive, naive),
        lambda: Pause(naive, naive),
    ):
        with pytest.raises(ValueError, match="no time zone"):
            call()


def test_it_is_open_from_the_opening_minute_until_just_before_the_close() -> None:
    cal = office()
    assert cal.is_open(utc("2026-03-09T09:00+00:00"))
    assert cal.is_open(utc("2026-03-09T16:59+00:00"))
    assert not cal.is_open(utc("2026-03-09T17:00+00:00"))
    assert not cal.is_open(utc("2026-03-14T12:00+00:00"))  # Saturday


def test_it_finds_the_next_opening_and_returns_an_open_time_itself() -> None:
    cal = office()
    assert cal.next_open(utc("2026-03-07T03:00+00:00")) == utc("2026-03-09T09:00+00:00")
    assert cal.next_open(utc("2026-03-09T10:15+00:00")) == utc("2026-03-09T10:15+00:00")


def test_it_is_due_at_the_close_when_the_duration_ends_exactly_there() -> None:
    cal = office()
    assert cal.add_working_time(utc("2026-03-09T15:00Z"), timedelta(hours=2)) == utc(
        "2026-03-09T17:00Z"
    )


def test_it_waits_for_the_opening_when_started_outside_hours() -> None:
    cal = office()
    due = cal.add_working_time(utc("2026-03-09T18:00Z"), timedelta(hours=2))
    assert due == utc("2026-03-10T11:00Z")


def test_it_is_due_at_once_for_zero_duration_and_refuses_negative() -> None:
    start = utc("2026-03-07T03:00Z")
    assert office().add_working_time(start, timedelta()) == start
    with pytest.raises(ValueError, match="negative"):
        office().add_working_time(start, timedelta(minutes=-1))


def test_it_skips_the_lunch_break_between_intervals_of_one_day() -> None:
    cal = office(hours="09:00-12:00,13:00-17:00")
    assert cal.add_working_time(utc("2026-03-09T11:00Z"), timedelta(hours=2)) == utc(
        "2026-03-09T14:00Z"
    )
    assert cal.working_time_between(utc("2026-03-09T00:00Z"), utc("2026-03-10T00:00Z")) == (
        timedelta(hours=7)
    )


def test_it_closes_on_public_holidays_of_the_subdivision() -> None:
    cal = office(holiday_country="GB", holiday_subdiv="ENG")
    good_friday = date(2026, 4, 3)
    assert cal.holiday_name(good_friday) == "Good Friday"
    assert not cal.is_business_day(good_friday)
    assert not cal.is_business_day(date(2026, 4, 6))  # Easter Monday in England
    scotland = office(holiday_country="GB", holiday_subdiv="SCT")
    assert scotland.is_business_day(date(2026, 4, 6))  # not a bank holiday in Scotland


def test_it_closes_on_explicit_dates_and_lets_overrides_win_over_holidays() -> None:
    cal = office(
        holiday_country="GB",
        holiday_subdiv="ENG",
        extra_holidays=(Holiday(date(2026, 3, 10), "Office move"),),
        overrides=(
            DateOverride(date(2026, 4, 3), (H("10:00-12:00"),), "open on Good Friday"),
            DateOverride(date(2026, 3, 11), (), "stocktake"),
        ),
    )
    assert not cal.is_business_day(date(2026, 3, 10))
    assert not cal.is_business_day(date(2026, 3, 11))
    assert cal.intervals_on(date(2026, 4, 3))[0].duration == timedelta(hours=2)
    names = [
        (e.day, e.kind, e.name)
        for e in cal.exceptions_between(utc("2026-03-09T00:00Z"), utc("2026-04-06T23:00Z"))
    ]
    assert names == [
        (date(2026, 3, 10), "holiday", "Office move"),
        (date(2026, 3, 11), "override", "stocktake"),
        (date(2026, 4, 3), "override", "open on Good Friday"),
        (date(2026, 4, 6), "holiday", "Easter Monday"),
    ]


def test_it_gives_a_24x7_day_23_or_25_hours_across_dst() -> None:
    cal = BusinessCalendar.always_open("America/New_York")
    assert sum((iv.duration for iv in cal.intervals_on(date(2026, 3, 8))), timedelta()) == (
        timedelta(hours=23)
    )
    assert sum((iv.duration for iv in cal.intervals_on(date(2026, 11, 1))), timedelta()) == (
        timedelta(hours=25)
    )
    start = datetime(2026, 10, 31, tzinfo=NEW_YORK)
    assert cal.working_time_between(start, start + timedelta(days=2)) == timedelta(hours=49)
    merged = cal.working_intervals_between(start, datetime(2026, 11, 3, tzinfo=NEW_YORK))
    assert [(iv.start, iv.end) for iv in merged] == [
        (utc("2026-10-31T04:00Z"), utc("2026-11-03T05:00Z"))
    ]  # one interval, not one per day


def test_it_keeps_office_hours_on_the_wall_clock_across_dst() -> None:
    cal = office(zone="America/New_York")
    before, after = cal.intervals_on(date(2026, 3, 6)), cal.intervals_on(date(2026, 3, 9))
    assert before[0].start == utc("2026-03-06T14:00Z")  # 09:00 EST
    assert after[0].start == utc("2026-03-09T13:00Z")  # 09:00 EDT


def test_it_moves_a_wall_time_in_the_spring_gap_to_the_end_of_the_gap() -> None:
    # 8 Mar 2026, New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert local_to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc("2026-03-08T07:00Z")
    cal = BusinessCalendar("America/New_York", ((H("02:30-04:00"),),) * 7)
    assert cal.intervals_on(date(2026, 3, 8))[0].duration == timedelta(hours=1)
    inside = BusinessCalendar("America/New_York", ((H("02:00-03:00"),),) * 7)
    assert inside.intervals_on(date(2026, 3, 8)) == []


def test_it_reads_an_ambiguous_wall_time_as_its_first_occurrence() -> None:
    # 1 Nov 2026, New York: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc("2026-11-01T05:30Z")
    cal = BusinessCalendar("America/New_York", ((H("01:00-02:00"),),) * 7)
    assert cal.intervals_on(date(2026, 11, 1))[0].duration == timedelta(hours=2)


def test_it_does_not_count_paused_working_time() -> None:
    cal, start = office(), utc("2026-03-09T09:00Z")
    pauses = (
        Pause(utc("2026-03-09T10:00Z"), utc("2026-03-09T10:40Z"), "SSH was unreachable"),
        Pause(utc("2026-03-09T10:20Z"), utc("2026-03-09T11:00Z"), "overlapping"),
        Pause(utc("2026-03-09T20:00Z"), utc("2026-03-10T08:00Z"), "overnight: free"),
    )
    assert cal.add_working_time(start, timedelta(hours=2), pauses) == utc("2026-03-09T12:00Z")
    assert cal.working_time_between(start, utc("2026-03-10T10:00Z"), pauses) == timedelta(hours=8)


def test_it_refuses_a_pause_that_ends_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Pause(utc("2026-03-09T10:00Z"), utc("2026-03-09T09:00Z"))


def test_it_counts_nothing_between_an_end_before_the_start() -> None:
    assert office().working_time_between(utc("2026-03-10T10:00Z"), utc("2026-03-09T10:00Z")) == (
        timedelta()
    )


def test_it_counts_business_days_and_finds_their_close() -> None:
    cal = office(zone="America/New_York", holiday_country="US")
    assert cal.business_day_after(date(2026, 11, 25)) == date(2026, 11, 27)  # Thanksgiving
    assert cal.business_day_after(date(2026, 11, 20), 5) == date(2026, 11, 30)
    assert cal.close_of(date(2026, 11, 27)) == utc("2026-11-27T22:00Z")
    assert cal.close_of(date(2026, 11, 28)) is None


def test_it_fails_rather_than_loops_when_the_calendar_never_opens() -> None:
    closed = BusinessCalendar("UTC", ((),) * 7)
    with pytest.raises(ValueError, match="no working time"):
        closed.add_working_time(utc("2026-03-09T09:00Z"), timedelta(hours=1))


def test_a_dates_intervals_asked_again_are_the_same_and_changing_them_changes_nothing() -> None:
    cal = BusinessCalendar.always_open("Europe/London")
    first = cal.intervals_on(date(2026, 3, 29))
    first.clear()
    again = cal.intervals_on(date(2026, 3, 29))
    assert again == cal.intervals_on(date(2026, 3, 29))
    assert sum((iv.duration for iv in again), timedelta()) == timedelta(hours=23)
