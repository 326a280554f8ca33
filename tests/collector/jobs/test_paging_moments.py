"""When a waiting incident's pages could next come by time alone: the staffed line closing, a
maintenance window ending — what ``next_page_at`` is told by the paging sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from collector.domain.calendar import BusinessCalendar, WorkingHours
from collector.domain.faults import MAINTENANCE, FaultKey, FaultState
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Severity
from collector.engine.incident_terms import calendar_json
from collector.jobs.paging import desk_closes_at, hold_lifts_at
from collector.store.pages import PagingIncident

# Wednesday 4 November 2026, 18:30 in New York: the 07:00-19:00 line closes at 00:00 UTC.
HALF_SIX = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
WEEKDAYS = BusinessCalendar("America/New_York", ((WorkingHours.parse("07:00-19:00"),),) * 7)


def _incident(staffed: BusinessCalendar | None = WEEKDAYS) -> PagingIncident:
    policy: dict[str, Any] = {"pages_on_call": True}
    if staffed is not None:
        policy["staffed_hours"] = calendar_json(staffed)
    fault = FaultState(FaultKey("acme", "acme-pbx", "host.down"), Severity.CRITICAL, HALF_SIX)
    return PagingIncident(
        1, 1, "acme", "Acme", "acme-pbx", "down", "premium", "critical", HALF_SIX, policy,
        None, None, None, None, None, fault,
    )  # fmt: skip


def _window(
    host: str, starts: datetime, ends: datetime, ended_at: datetime | None = None
) -> MaintenanceWindow:
    return MaintenanceWindow("0", "once", starts, ends, host_id=host, ended_at=ended_at)


def test_the_staffed_line_closes_at_the_end_of_its_working_hours() -> None:
    assert desk_closes_at(_incident(), HALF_SIX) == datetime(2026, 11, 5, 0, 0, tzinfo=UTC)


def test_a_line_staffed_round_the_clock_or_not_at_all_never_closes() -> None:
    assert desk_closes_at(_incident(BusinessCalendar.always_open("UTC")), HALF_SIX) is None
    assert desk_closes_at(_incident(None), HALF_SIX) is None


def test_a_maintenance_hold_lifts_when_the_first_window_over_the_fault_ends() -> None:
    hour = timedelta(hours=1)
    windows = [
        _window("acme-pbx", HALF_SIX - hour, HALF_SIX + 2 * hour),
        _window("acme-pbx", HALF_SIX - hour, HALF_SIX + 3 * hour, ended_at=HALF_SIX + hour),
        _window("other-pbx", HALF_SIX - hour, HALF_SIX + timedelta(minutes=5)),
    ]
    assert hold_lifts_at(_incident(), MAINTENANCE, HALF_SIX, windows) == HALF_SIX + hour


def test_a_suppression_lifts_only_when_the_fault_explaining_it_recovers() -> None:
    windows = [_window("acme-pbx", HALF_SIX, HALF_SIX + timedelta(hours=1))]
    assert hold_lifts_at(_incident(), "suppressed:host.down", HALF_SIX, windows) is None
