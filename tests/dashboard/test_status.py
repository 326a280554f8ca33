"""A host's badge shows the most urgent thing about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.store.faults import FaultView
from collector.store.inventory import Host
from dashboard.status import customer_level, host_status

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def _host(seen_minutes_ago: float | None) -> Host:
    seen = None if seen_minutes_ago is None else NOW - timedelta(minutes=seen_minutes_ago)
    return Host("h1", "c1", "h1", "server", 60.0, seen, None)


def _fault(severity: str) -> FaultView:
    return FaultView(
        1, "h1", "h1", "c1", "C", "k", severity, "t", "", NOW, None, None, None, None, None
    )


def test_it_is_ok_when_reporting_without_faults() -> None:
    assert host_status(_host(1), [], NOW, 3).label == "ok"


def test_it_is_silent_after_the_allowed_missed_reports() -> None:
    assert host_status(_host(3), [], NOW, 3).label == "ok"
    status = host_status(_host(3.5), [], NOW, 3)
    assert (status.label, status.level, status.late) == ("silent", "bad", True)


def test_it_ranks_critical_over_silent_over_lesser_faults() -> None:
    assert host_status(_host(10), [_fault("critical")], NOW, 3).label == "critical"
    assert host_status(_host(10), [_fault("major")], NOW, 3).label == "silent"
    status = host_status(_host(1), [_fault("minor"), _fault("major")], NOW, 3)
    assert (status.label, status.level, status.open_faults) == ("major", "warn", 2)


def test_it_says_when_a_host_has_never_reported() -> None:
    assert host_status(_host(None), [], NOW, 3).label == "no reports yet"


def test_it_gives_a_customer_its_worst_level() -> None:
    statuses = [host_status(_host(1), [], NOW, 3), host_status(_host(10), [], NOW, 3)]
    assert customer_level(statuses) == "bad"
    assert customer_level([]) == "ok"
