"""How times read on the dashboard: UTC with the zone named, plus "in 3 h 20 min" / "overdue".

Operators work across customers in several time zones; one zone on every page, named, avoids
"was that my time or theirs?". The relative text is what people actually read at a glance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def utc(moment: datetime | None) -> str:
    """``2024-05-01 14:05 UTC``; an em dash for a missing time."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def local(moment: datetime | None, zone: str) -> str:
    """``2024-05-01 15:05 BST`` in ``zone`` (an operator's display zone, a customer's own); as
    ``utc`` when the zone is UTC or unknown."""
    if moment is None:
        return "—"
    try:
        where = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return utc(moment)
    if zone == "UTC":
        return utc(moment)
    return moment.astimezone(where).strftime("%Y-%m-%d %H:%M %Z")


def span(delta: timedelta) -> str:
    """A duration in its two largest units: ``3 h 20 min``, ``2 d 4 h``, ``5 min``."""
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        return "less than a minute"
    parts: list[tuple[int, str]] = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append((count, unit))
    shown = [f"{count} {unit}" for count, unit in parts[:2] if count]
    return " ".join(shown)


def ago(moment: datetime | None, now: datetime) -> str:
    """``5 min ago`` for the past, ``in 5 min`` for the future."""
    if moment is None:
        return "never"
    delta = moment - now
    if abs(delta) < timedelta(minutes=1):
        return "just now"
    return f"in {span(delta)}" if delta > timedelta(0) else f"{span(delta)} ago"


def due(moment: datetime | None, now: datetime) -> str:
    """``in 3 h 20 min`` before a deadline, ``overdue by 40 min`` after it."""
    if moment is None:
        return "no target"
    if moment <= now:
        return (
            "overdue" if now - moment < timedelta(minutes=1) else f"overdue by {span(now - moment)}"
        )
    return f"in {span(moment - now)}"
