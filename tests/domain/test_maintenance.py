"""Maintenance windows: one-off and recurring, per host or customer, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from collector.domain.maintenance import MaintenanceWindow, in_maintenance, parse_rule

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # a Friday


def one_off(**overrides: Any) -> MaintenanceWindow:
    fields: dict[str, Any] = {
        "window_id": "w1",
        "frequency": "once",
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=2),
        "host_id": "pbx1",
    }
    return MaintenanceWindow(**(fields | overrides))


def sunday_nights(**overrides: Any) -> MaintenanceWindow:
    """Every Sunday 02:00 London time for three hours."""
    fields: dict[str, Any] = {
        "window_id": "w2",
        "frequency": "weekly",
        "starts_at": datetime(2024, 1, 1, tzinfo=UTC),
        "customer_id": "acme",
        "local_time": time(2, 0),
        "timezone": "Europe/London",
        "weekdays": ("SU",),
        "duration_s": 3 * 3600,
    }
    return MaintenanceWindow(**(fields | overrides))


def test_it_covers_a_one_off_window_from_start_to_end() -> None:
    window = one_off()
    assert not window.active_at(T0 - timedelta(seconds=1))
    assert window.active_at(T0)
    assert window.active_at(T0 + timedelta(hours=2) - timedelta(seconds=1))
    assert not window.active_at(T0 + timedelta(hours=2))


def test_it_applies_host_windows_to_that_host_and_customer_windows_to_all_its_hosts() -> None:
    host_window, customer_window = one_off(), one_off(host_id=None, customer_id="acme")
    assert in_maintenance("pbx1", "acme", T0, [host_window])
    assert not in_maintenance("pbx2", "acme", T0, [host_window])
    assert in_maintenance("pbx2", "acme", T0, [customer_window])
    assert in_maintenance(None, "acme", T0, [customer_window])  # a site fault
    assert not in_maintenance("pbx1", "other", T0, [customer_window])
    assert not in_maintenance(None, "acme", T0, [host_window])


def test_it_stops_a_window_an_operator_ended_early() -> None:
    window = one_off(ended_at=T0 + timedelta(minutes=30))
    assert window.active_at(T0 + timedelta(minutes=29))
    assert not window.active_at(T0 + timedelta(minutes=30))


def test_it_recurs_weekly_at_local_time_in_winter_and_summer() -> None:
    window = sunday_nights()
    winter = datetime(2024, 1, 7, 2, 0, tzinfo=UTC)  # GMT: 02:00 local is 02:00 UTC
    assert window.occurrence_at(winter) == (winter, winter + timedelta(hours=3))
    assert not window.active_at(winter - timedelta(seconds=1))
    summer = datetime(2024, 7, 7, 1, 0, tzinfo=UTC)  # BST: 02:00 local is 01:00 UTC
    assert window.active_at(summer)
    assert not window.active_at(summer + timedelta(hours=3))
    assert not window.active_at(datetime(2024, 7, 8, 1, 30, tzinfo=UTC))  # a Monday


def test_it_takes_a_start_time_skipped_by_dst_with_the_old_offset() -> None:
    # 31 March 2024: London clocks jump from 01:00 to 02:00 GMT, so 01:30 local never happens.
    window = sunday_nights(local_time=time(1, 30), duration_s=3600)
    start = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert window.active_at(start)
    assert window.active_at(start + timedelta(minutes=59))
    assert not window.active_at(start + timedelta(hours=1))


def test_it_finds_an_occurrence_that_started_the_day_before() -> None:
    window = sunday_nights(local_time=time(22, 0), duration_s=8 * 3600)
    assert window.active_at(datetime(2024, 1, 8, 5, 59, tzinfo=UTC))
    assert not window.active_at(datetime(2024, 1, 8, 6, 0, tzinfo=UTC))


def test_it_recurs_daily_within_its_validity() -> None:
    window = MaintenanceWindow(
        "w3", "daily", starts_at=T0, ends_at=T0 + timedelta(days=2), host_id="pbx1",
        local_time=time(23, 0), timezone="UTC", duration_s=1800,
    )  # fmt: skip
    assert not window.active_at(datetime(2024, 2, 29, 23, 10, tzinfo=UTC))  # before starts_at
    assert window.active_at(datetime(2024, 3, 1, 23, 10, tzinfo=UTC))
    assert window.active_at(datetime(2024, 3, 2, 23, 10, tzinfo=UTC))
    assert not window.active_at(datetime(2024, 3, 3, 23, 10, tzinfo=UTC))  # after ends_at


def test_it_parses_rrule_lite() -> None:
    assert parse_rule("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=2;BYMINUTE=30") == {
        "frequency": "weekly",
        "weekdays": ("SA", "SU"),
        "local_time": time(2, 30),
    }
    assert parse_rule("freq=daily")["frequency"] == "daily"
    with pytest.raises(ValueError):
        parse_rule("FREQ=MONTHLY")
    with pytest.raises(ValueError):
        parse_rule("FREQ=DAILY;COUNT=3")


@pytest.mark.parametrize(
    "bad",
    [
        {"host_id": None},
        {"customer_id": "acme"},
        {"ends_at": T0},
        {"frequency": "hourly"},
        {"frequency": "weekly", "local_time": time(2), "duration_s": 60},
        {"frequency": "weekly", "local_time": time(2), "duration_s": 60, "weekdays": ("XX",)},
        {"frequency": "daily", "local_time": time(2), "duration_s": 60, "timezone": "Mars/Base"},
        {"frequency": "daily", "duration_s": 60},
    ],
)
def test_it_refuses_a_window_that_cannot_be_meant(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        one_off(**bad)


def test_it_round_trips_windows_through_json() -> None:
    for window in (one_off(reason="disk swap"), sunday_nights(ended_at=T0)):
        assert MaintenanceWindow.from_json(window.to_json()) == window
