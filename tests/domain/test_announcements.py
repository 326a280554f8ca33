"""Announced days applied to calendars: they only ever take time away."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from collector.config.tiers import default_catalogue_path, load_catalogue
from collector.domain.announcements import Announcement, tier_with_announcements
from collector.domain.calendar import WorkingHours
from collector.domain.sla import due_times

CATALOGUE = load_catalogue(default_catalogue_path())
COVERED = sorted(name for name, tier in CATALOGUE.items() if tier.covered)
START = datetime(2026, 11, 2, tzinfo=UTC)
CALENDARS = sorted(
    {
        t.calendar.name
        for tier in CATALOGUE.values()
        for ts in tier.severities.values()
        for t in ts.values()
    }
)


def test_it_closes_an_announced_day_and_clips_hours_to_the_regular_ones() -> None:
    cat1 = CATALOGUE["cat1"]
    opened = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday 10:00 in London
    assert due_times(cat1, "minor", opened)["first_response"] == opened + timedelta(days=1)
    closed = Announcement("uk-office", date(2026, 11, 3), (), "staff training")
    shut = tier_with_announcements(cat1, [closed])
    assert due_times(shut, "minor", opened)["first_response"] == opened + timedelta(days=2)
    # 07:00-09:30 asked for, 09:00-09:30 kept: the announcement cannot open the office early.
    early = Announcement("uk-office", date(2026, 11, 3), (WorkingHours(420, 570),), "half day")
    short = tier_with_announcements(cat1, [early])
    assert due_times(short, "minor", opened)["first_response"] == datetime(
        2026, 11, 4, 9, 30, tzinfo=UTC
    )


@given(
    tier=st.sampled_from(COVERED),
    severity=st.sampled_from(["critical", "major", "minor"]),
    opened=st.integers(min_value=0, max_value=30 * 24 * 60),
    calendar=st.sampled_from(CALENDARS),
    day_offset=st.integers(min_value=-1, max_value=20),
    hours=st.lists(
        st.tuples(st.integers(0, 47), st.integers(1, 48)).filter(lambda p: p[0] < p[1]),
        max_size=2,
    ),
)
def test_it_never_makes_a_target_earlier_by_announcing_a_day(
    tier: str, severity: str, opened: int, calendar: str, day_offset: int, hours: list[Any]
) -> None:
    opened_at = START + timedelta(minutes=opened)
    kept = tuple(WorkingHours(a * 30, b * 30) for a, b in hours)
    if len({(h.start, h.end) for h in kept}) != len(kept) or _overlap(kept):
        kept = kept[:1]
    day = opened_at.date() + timedelta(days=day_offset)
    announced = tier_with_announcements(
        CATALOGUE[tier], [Announcement(calendar, day, kept, "announced")]
    )
    before = due_times(CATALOGUE[tier], severity, opened_at)
    after = due_times(announced, severity, opened_at)
    for name, due in before.items():
        assert after[name] >= due


def _overlap(hours: tuple[WorkingHours, ...]) -> bool:
    ordered = sorted(hours, key=lambda h: h.start)
    return any(a.end > b.start for a, b in itertools.pairwise(ordered))
