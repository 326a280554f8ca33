"""Properties of the SLA maths over random calendars, zones (DST included), pauses and holidays."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.domain.calendar import BusinessCalendar, Holiday, Pause, WorkingHours
from collector.domain.sla import due_for
from collector.domain.tiers import Target

# Zones with awkward transitions: 30-minute DST (Lord Howe), DST at midnight (Santiago),
# Ramadan suspensions (Casablanca), the southern hemisphere, and no DST at all.
ZONES = [
    "Europe/London",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Africa/Casablanca",
    "Asia/Kolkata",
    "UTC",
]
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def day_hours(draw: st.DrawFn) -> tuple[WorkingHours, ...]:
    """Zero to three disjoint intervals in one day, to the quarter hour (24:00 allowed)."""
    marks = draw(st.sets(st.integers(0, 96), max_size=6).map(sorted))
    pairs = zip(marks[::2], marks[1::2], strict=False)
    return tuple(WorkingHours(a * 15, b * 15) for a, b in pairs)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    weekly = tuple(draw(day_hours()) for _ in range(7))
    if not any(weekly):
        weekly = ((WorkingHours(9 * 60, 17 * 60),), *weekly[1:])
    country = draw(st.sampled_from([None, ("GB", "ENG"), ("US", None)]))
    return BusinessCalendar(
        draw(st.sampled_from(ZONES)),
        weekly,
        holiday_country=country[0] if country else None,
        holiday_subdiv=country[1] if country else None,
    )


instants = st.integers(0, 10 * 365 * 24 * 60).map(lambda m: EPOCH + timedelta(minutes=m))
durations = st.integers(1, 60 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[Pause]:
    found = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-600, 14 * 24 * 60)))
        found.append(Pause(begin, begin + timedelta(minutes=draw(st.integers(0, 3000))), "p"))
    return found


@given(calendars(), instants, durations, st.data())
@PROPERTY_SETTINGS
def test_it_uses_up_exactly_the_duration_and_never_ends_before_the_start(
    cal: BusinessCalendar, start: datetime, duration: timedelta, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    due = cal.add_working_time(start, duration, pauses)
    assert due >= start
    assert cal.working_time_between(start, due, pauses) == duration
    assert cal.is_open(due - timedelta(seconds=1))


@given(calendars(), instants, durations, durations)
@PROPERTY_SETTINGS
def test_it_never_gives_an_earlier_due_for_a_longer_target(
    cal: BusinessCalendar, start: datetime, one: timedelta, other: timedelta
) -> None:
    shorter, longer = sorted((one, other))
    assert cal.add_working_time(start, shorter) <= cal.add_working_time(start, longer)


@given(calendars(), instants, durations, st.data())
@PROPERTY_SETTINGS
def test_it_never_gives_an_earlier_due_for_a_pause(
    cal: BusinessCalendar, start: datetime, duration: timedelta, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    fewer = pauses[: data.draw(st.integers(0, len(pauses)))]
    assert cal.add_working_time(start, duration, fewer) <= cal.add_working_time(
        start, duration, pauses
    )


@st.composite
def day_targets(draw: st.DrawFn, cal: BusinessCalendar) -> Target:
    if draw(st.booleans()):
        return Target(cal, within=draw(durations))
    cutoff = draw(st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)))
    return Target(cal, business_days=draw(st.integers(1, 12)), same_day_cutoff=cutoff)


@given(calendars(), instants, st.data())
@PROPERTY_SETTINGS
def test_it_never_gives_an_earlier_due_for_an_added_holiday(
    cal: BusinessCalendar, start: datetime, data: st.DataObject
) -> None:
    target = data.draw(day_targets(cal))
    before = due_for(target, start)
    local_start = cal.local(start).date()
    closed = local_start + timedelta(days=data.draw(st.integers(0, 20)))
    shut = BusinessCalendar(
        cal.zone,
        cal.weekly,
        cal.holiday_country,
        cal.holiday_subdiv,
        extra_holidays=(Holiday(closed, "added"),),
    )
    later = Target(
        shut,
        target.within,
        target.business_days,
        target.business_days_by_region,
        target.same_day_cutoff,
    )
    after = due_for(later, start)
    assert start <= before <= after


@given(calendars(), instants, st.data())
@PROPERTY_SETTINGS
def test_it_counts_more_business_days_no_earlier(
    cal: BusinessCalendar, start: datetime, data: st.DataObject
) -> None:
    days = sorted(data.draw(st.lists(st.integers(1, 15), min_size=2, max_size=2)))
    pauses = data.draw(pause_lists(start))
    dues = [due_for(Target(cal, business_days=n), start, pauses=pauses) for n in days]
    assert start <= dues[0] <= dues[1]


@given(calendars(), instants)
@PROPERTY_SETTINGS
def test_it_agrees_between_is_open_next_open_and_the_intervals(
    cal: BusinessCalendar, at: datetime
) -> None:
    opens = cal.next_open(at)
    assert opens >= at and cal.is_open(opens)
    assert cal.working_time_between(at, opens) == timedelta()
    assert cal.is_open(at) == (opens == at)


@contextmanager
def process_zone(zone: str) -> Iterator[None]:
    """Run with the process's own TZ set to ``zone``, restoring it afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@given(calendars(), instants, durations, st.data())
@settings(max_examples=25, deadline=None)
def test_it_gives_identical_results_whatever_the_servers_zone(
    cal: BusinessCalendar, start: datetime, duration: timedelta, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    target = data.draw(day_targets(cal))
    results = []
    for zone in ("UTC", "Pacific/Kiritimati", "America/St_Johns", "Australia/Lord_Howe"):
        with process_zone(zone):
            results.append(
                (
                    cal.add_working_time(start, duration, pauses),
                    due_for(target, start, pauses=pauses),
                    cal.is_open(start),
                    cal.intervals_on(date(2026, 3, 29)),
                )
            )
    assert all(result == results[0] for result in results)
