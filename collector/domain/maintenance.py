"""Maintenance windows: when a host's or customer's faults are recorded but not mailed.

A window is one-off (an absolute start and end) or recurring: daily, or weekly on given days,
starting at a local time of day in an IANA zone and lasting a fixed duration. Recurring
windows follow the zone's clock across DST changes; a start time that does not exist that day
(the skipped hour) is taken with the offset in force before the change, as zoneinfo does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collector.domain.policy import from_iso, opt_from_iso, opt_iso, to_iso

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("once", "daily", "weekly")


@dataclass(frozen=True)
class MaintenanceWindow:
    """One window, for one host (``host_id``) or every host of a customer (``customer_id``).

    ``once``: active from ``starts_at`` to ``ends_at``. ``daily``/``weekly``: each occurrence
    starts at ``local_time`` in ``timezone`` (on ``weekdays`` when weekly) and lasts
    ``duration_s``; occurrences start no earlier than ``starts_at`` and, when ``ends_at`` is
    set, no later than it. ``ended_at`` is an operator ending the window early: nothing of it
    is active from then on.
    """

    window_id: str
    frequency: str
    starts_at: datetime
    ends_at: datetime | None = None
    host_id: str | None = None
    customer_id: str | None = None
    local_time: time | None = None
    timezone: str = "UTC"
    weekdays: tuple[str, ...] = ()
    duration_s: float = 0.0
    ended_at: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.host_id is None) == (self.customer_id is None):
            raise ValueError("a maintenance window covers either one host or one customer")
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {FREQUENCIES}, not {self.frequency!r}")
        if self.frequency == "once":
            if self.ends_at is None or self.ends_at <= self.starts_at:
                raise ValueError("a one-off window needs ends_at after starts_at")
            return
        if self.local_time is None or self.duration_s <= 0:
            raise ValueError("a recurring window needs local_time and a positive duration_s")
        if self.frequency == "weekly" and not self.weekdays:
            raise ValueError("a weekly window needs weekdays")
        bad_days = set(self.weekdays) - set(WEEKDAYS)
        if bad_days:
            raise ValueError(f"unknown weekdays {sorted(bad_days)}; use {WEEKDAYS}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc

    def covers(self, host_id: str | None, customer_id: str | None) -> bool:
        if self.host_id is not None:
            return self.host_id == host_id
        return self.customer_id == customer_id

    def active_at(self, now: datetime) -> bool:
        return self.occurrence_at(now) is not None

    def occurrence_at(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The (start, end) of the occurrence that covers ``now``, if any."""
        if self.ended_at is not None and now >= self.ended_at:
            return None
        return next((span for span in self._spans_near(now) if span[0] <= now < span[1]), None)

    def spans_between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The (start, end) of every occurrence that overlaps ``start`` to ``end``, cut short
        where an operator ended the window."""
        found = []
        for day_end in _days(start, end):
            for span_start, span_end in self._spans_near(day_end):
                if self.ended_at is not None:
                    span_end = min(span_end, self.ended_at)
                if span_start < end and span_end > start and span_start < span_end:
                    found.append((span_start, span_end))
        return sorted(set(found))

    def _spans_near(self, now: datetime) -> Iterable[tuple[datetime, datetime]]:
        if self.frequency == "once":
            assert self.ends_at is not None
            yield self.starts_at, self.ends_at
            return
        assert self.local_time is not None
        zone = ZoneInfo(self.timezone)
        duration = timedelta(seconds=self.duration_s)
        today = now.astimezone(zone).date()
        # An occurrence covering now started at most `duration` ago (plus a day of DST slack).
        for back in range(int(self.duration_s // 86400) + 2):
            day = today - timedelta(days=back)
            if not self._occurs_on(day):
                continue
            # In UTC before adding the duration: aware arithmetic in one zone is wall-clock time.
            start = datetime.combine(day, self.local_time, tzinfo=zone).astimezone(UTC)
            if start < self.starts_at or (self.ends_at is not None and start > self.ends_at):
                continue
            yield start, start + duration

    def _occurs_on(self, day: date) -> bool:
        return self.frequency == "daily" or WEEKDAYS[day.weekday()] in self.weekdays

    def to_json(self) -> dict[str, Any]:
        return {
            "window_id": self.window_id,
            "frequency": self.frequency,
            "starts_at": to_iso(self.starts_at),
            "ends_at": opt_iso(self.ends_at),
            "host_id": self.host_id,
            "customer_id": self.customer_id,
            "local_time": None if self.local_time is None else self.local_time.isoformat(),
            "timezone": self.timezone,
            "weekdays": list(self.weekdays),
            "duration_s": self.duration_s,
            "ended_at": opt_iso(self.ended_at),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MaintenanceWindow:
        local_time = data.get("local_time")
        return cls(
            window_id=str(data["window_id"]),
            frequency=data["frequency"],
            starts_at=from_iso(data["starts_at"]),
            ends_at=opt_from_iso(data.get("ends_at")),
            host_id=data.get("host_id"),
            customer_id=data.get("customer_id"),
            local_time=None if local_time is None else time.fromisoformat(local_time),
            timezone=data.get("timezone", "UTC"),
            weekdays=tuple(data.get("weekdays", ())),
            duration_s=float(data.get("duration_s", 0.0)),
            ended_at=opt_from_iso(data.get("ended_at")),
            reason=data.get("reason", ""),
        )


def _days(start: datetime, end: datetime) -> Iterable[datetime]:
    """A moment in each day from ``start`` to ``end`` and the day after (an occurrence is
    found from any moment it covers or that follows it within its duration)."""
    moment = start
    while moment < end + timedelta(days=1):
        yield moment
        moment += timedelta(days=1)


def parse_rule(text: str) -> dict[str, Any]:
    """RRULE-lite: ``FREQ=DAILY`` or ``FREQ=WEEKLY;BYDAY=SA,SU``, plus optional
    ``BYHOUR``/``BYMINUTE``; returns ``frequency``, ``weekdays`` and ``local_time`` fields."""
    parts = dict(part.split("=", 1) for part in text.strip().upper().split(";") if part)
    unknown = set(parts) - {"FREQ", "BYDAY", "BYHOUR", "BYMINUTE"}
    if unknown:
        raise ValueError(f"unsupported rule parts {sorted(unknown)} in {text!r}")
    frequency = parts.get("FREQ", "").lower()
    if frequency not in ("daily", "weekly"):
        raise ValueError(f"FREQ must be DAILY or WEEKLY in {text!r}")
    weekdays = tuple(day for day in parts.get("BYDAY", "").split(",") if day)
    local_time = time(int(parts.get("BYHOUR", 0)), int(parts.get("BYMINUTE", 0)))
    return {"frequency": frequency, "weekdays": weekdays, "local_time": local_time}


def in_maintenance(
    host_id: str | None,
    customer_id: str | None,
    now: datetime,
    windows: Iterable[MaintenanceWindow],
) -> bool:
    """Whether any window covering this host (or, for a site fault, customer) is active."""
    return any(w.covers(host_id, customer_id) and w.active_at(now) for w in windows)
