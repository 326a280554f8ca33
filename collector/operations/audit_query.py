"""Reading the audit log: the filters people give (the admins' page and the JSON API alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from collector.store.audit import AuditFilter


class BadFilter(ValueError):
    """A filter value that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _day(query: Mapping[str, str], name: str) -> datetime | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise BadFilter(name, f"{name} must be a day, YYYY-MM-DD") from None


def audit_filter(query: Mapping[str, str], limit: int) -> AuditFilter:
    """``actor``, ``action``, ``customer``, and ``since``/``until`` as days (``until`` whole)."""
    until = _day(query, "until")
    return AuditFilter(
        actor=query.get("actor") or None,
        action=query.get("action") or None,
        customer_id=query.get("customer") or None,
        since=_day(query, "since"),
        until=until + timedelta(days=1) if until else None,
        limit=limit,
    )
