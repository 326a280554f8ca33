"""Times read as UTC with the zone named, and relative phrases people can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from dashboard.timefmt import ago, due, span, utc

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def test_it_names_the_zone_and_converts_to_utc() -> None:
    paris = timezone(timedelta(hours=2))
    assert utc(datetime(2024, 5, 6, 12, 5, tzinfo=paris)) == "2024-05-06 10:05 UTC"
    assert utc(None) == "—"


def test_it_shows_the_two_largest_units() -> None:
    assert span(timedelta(hours=3, minutes=20, seconds=59)) == "3 h 20 min"
    assert span(timedelta(days=2, minutes=5)) == "2 d"
    assert span(timedelta(days=1, hours=4, minutes=5)) == "1 d 4 h"
    assert span(timedelta(minutes=5)) == "5 min"
    assert span(timedelta(seconds=30)) == "less than a minute"


def test_it_says_in_or_ago() -> None:
    assert ago(NOW + timedelta(hours=1), NOW) == "in 1 h"
    assert ago(NOW - timedelta(minutes=90), NOW) == "1 h 30 min ago"
    assert ago(NOW, NOW) == "just now"
    assert ago(None, NOW) == "never"


def test_it_counts_down_to_a_deadline_and_then_overdue() -> None:
    assert due(NOW + timedelta(hours=3, minutes=20), NOW) == "in 3 h 20 min"
    assert due(NOW, NOW) == "overdue"
    assert due(NOW - timedelta(minutes=40), NOW) == "overdue by 40 min"
    assert due(None, NOW) == "no target"
