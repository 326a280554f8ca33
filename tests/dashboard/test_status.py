"""A host's badge shows the most urgent thing about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.status import host_status, level_of_severity, worst_level

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def _seen(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def test_it_is_ok_when_reporting_without_faults() -> None:
    assert host_status(_seen(1), 60, [], NOW, 3).label == "ok"


def test_it_is_silent_after_the_allowed_missed_reports() -> None:
    assert host_status(_seen(3), 60, [], NOW, 3).label == "ok"
    status = host_status(_seen(3.5), 60, [], NOW, 3)
    assert (status.label, status.level, status.late) == ("silent", "bad", True)


def test_it_ranks_critical_over_silent_over_lesser_faults() -> None:
    assert host_status(_seen(10), 60, ["critical"], NOW, 3).label == "critical"
    assert host_status(_seen(10), 60, ["major"], NOW, 3).label == "silent"
    status = host_status(_seen(1), 60, ["minor", "major"], NOW, 3)
    assert (status.label, status.level, status.open_faults) == ("major", "warn", 2)


def test_it_says_when_a_host_has_never_reported() -> None:
    assert host_status(None, 60, [], NOW, 3).label == "no reports yet"


def test_it_gives_a_customer_its_worst_level() -> None:
    assert worst_level(["ok", "bad", "warn"]) == "bad"
    assert worst_level([]) == "ok"
    assert [level_of_severity(s) for s in ("critical", "minor", None)] == ["bad", "warn", "ok"]
