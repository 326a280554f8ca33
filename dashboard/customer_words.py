"""A contract tier's hours in plain words, for the customer page (its targets are worded by
``collector.operations.contract_words``, which the portal shares)."""

from __future__ import annotations

from collector.domain.calendar import BusinessCalendar, WorkingHours

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02}:{minutes % 60:02}"


def _hours(day: tuple[WorkingHours, ...]) -> str:
    return ", ".join(f"{_clock(h.start)}-{_clock(h.end)}" for h in day) or "closed"


def hours_in_words(calendar: BusinessCalendar | None) -> str:
    """``Mon-Fri 09:00-17:00, Sat-Sun closed (Europe/London), public holidays off``."""
    if calendar is None:
        return "no cover"
    if calendar.is_always_open:
        return "24 hours a day, 7 days a week"
    runs: list[tuple[int, int, str]] = []
    for index, day in enumerate(calendar.weekly):
        text = _hours(day)
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], index, text)
        else:
            runs.append((index, index, text))
    parts = [f"{DAYS[a]}{'' if a == b else '-' + DAYS[b]} {text}" for a, b, text in runs]
    holidays = (
        f", {calendar.holiday_country} public holidays off" if calendar.holiday_country else ""
    )
    return f"{', '.join(parts)} ({calendar.zone}){holidays}"
