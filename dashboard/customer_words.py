"""A contract tier in plain words, for the customer page: its hours and its targets."""

from __future__ import annotations

from collector.domain.calendar import BusinessCalendar, WorkingHours
from collector.domain.tiers import SEVERITIES, TARGET_NAMES, Tier

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TARGET_WORDS = {
    "first_response": "first response",
    "resolution": "resolution",
    "on_site": "engineer on site",
    "parts_dispatch": "parts dispatched",
    "parts_delivery": "parts delivered",
    "part_return": "faulty part returned",
}


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


def targets_in_words(tier: Tier) -> list[tuple[str, list[str]]]:
    """Per severity, each target as ``first response: 4 h working time``."""
    found = []
    for severity in SEVERITIES:
        targets = tier.targets(severity)
        words = [
            f"{TARGET_WORDS[name]}: {targets[name].describe()}"
            for name in TARGET_NAMES
            if name in targets
        ]
        found.append((severity, words or ["no response target"]))
    return found
