"""Business calendars: when a support contract's clock runs.

A calendar is local wall-clock working hours per weekday in an IANA zone, minus public holidays
(the ``holidays`` package, by country and subdivision) and explicit closed dates, with date
overrides (a Christmas shutdown, reduced hours) winning over both. Instants go in and out as
timezone-aware UTC; the process's own time zone is never consulted.

How wall-clock hours become instants, one interval at a time (so a DST day has 23 or 25 hours):

* ``24:00`` is the next day's midnight; ``00:00-24:00`` every day is 24x7.
* A wall time that does not exist (the spring-forward gap) means the instant the gap ends:
  a day starting at 02:30 on a US spring-forward Sunday starts at 03:00 EDT. An interval lying
  wholly inside a gap is empty.
* A wall time that occurs twice (the autumn fall-back hour) means its first occurrence (PEP 495
  ``fold=0``), so adjacent intervals still meet exactly and nothing is counted twice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

MINUTES_PER_DAY = 24 * 60
#: A walk that finds no working time in this many days means the calendar (or a pause) never
#: opens; failing beats looping forever.
HORIZON_DAYS = 366 * 20
_ONE_DAY = timedelta(days=1)
#: Dates whose intervals a calendar keeps worked out (``_day_intervals``): years of them.
_DAYS_KEPT = 4096
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def require_aware(at: datetime, what: str = "time") -> datetime:
    """Return ``at`` in UTC; naive datetimes are refused because their zone would be a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} {at.isoformat()} has no time zone; give an aware datetime")
    return at.astimezone(UTC)


@dataclass(frozen=True, order=True)
class WorkingHours:
    """One local wall-clock interval of a day, ``[start, end)`` in minutes after midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"working hours {self} must satisfy 00:00 <= start < end <= 24:00")

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """Parse ``"09:00-17:00"``; ``24:00`` is allowed as an end."""
        match = _HOURS.match(text.strip())
        if not match:
            raise ValueError(f"working hours {text!r} must look like 09:00-17:30")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if m1 > 59 or m2 > 59:
            raise ValueError(f"working hours {text!r} has minutes over 59")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


@dataclass(frozen=True)
class Holiday:
    """An explicit closed date, in addition to the country's public holidays."""

    day: date
    name: str


@dataclass(frozen=True)
class DateOverride:
    """A date with its own hours; no hours means closed (e.g. a Christmas shutdown)."""

    day: date
    hours: tuple[WorkingHours, ...]
    reason: str


@dataclass(frozen=True)
class DayException:
    """A date whose hours differ from its weekday's, for explanations."""

    day: date
    kind: Literal["holiday", "override"]
    name: str


@dataclass(frozen=True)
class Interval:
    """A span of real time, ``[start, end)``, in UTC."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Pause:
    """Time that does not count towards a target (remote access lost, waiting on customer)."""

    start: datetime
    end: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        if require_aware(self.end, "pause end") < require_aware(self.start, "pause start"):
            raise ValueError(f"pause ends ({self.end}) before it starts ({self.start})")


@lru_cache(maxsize=512)
def public_holidays(country: str, subdiv: str | None, year: int) -> Mapping[date, str]:
    """The country's public holidays for one year, resolved once per (country, subdiv, year)."""
    found = holidays.country_holidays(country, subdiv=subdiv, years=year)
    return MappingProxyType({day: str(name) for day, name in found.items()})


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Turn a naive local wall time into a UTC instant, by the rules in the module docstring."""
    utc = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    # In a gap: fold=1 uses the offset after the change, landing before it; the first instant
    # whose wall clock reads ``wall`` or later is the transition itself. Search to the second.
    low, high = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), utc
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours in one IANA zone. ``weekly`` has seven entries, Monday first."""

    zone: str
    weekly: tuple[tuple[WorkingHours, ...], ...]
    holiday_country: str | None = None
    holiday_subdiv: str | None = None
    extra_holidays: tuple[Holiday, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    name: str = ""
    _overrides_by_day: Mapping[date, DateOverride] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _extra_by_day: Mapping[date, str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    #: Each local date's UTC intervals once worked out: the calendar is immutable, and every
    #: due time and warning walks the same days again (``_day_intervals``).
    _intervals_by_day: dict[date, tuple[Interval, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        ZoneInfo(self.zone)  # raises for an unknown zone
        if len(self.weekly) != 7:
            raise ValueError("weekly hours need seven days, Monday first")
        for hours in (*self.weekly, *(o.hours for o in self.overrides)):
            _check_disjoint(hours)
        by_day = {o.day: o for o in self.overrides}
        if len(by_day) != len(self.overrides):
            raise ValueError("a date is overridden twice")
        object.__setattr__(self, "_overrides_by_day", MappingProxyType(by_day))
        extra = {h.day: h.name for h in self.extra_holidays}
        object.__setattr__(self, "_extra_by_day", MappingProxyType(extra))

    @classmethod
    def always_open(cls, zone: str, name: str = "24x7") -> BusinessCalendar:
        """24 hours a day, 7 days a week; the zone only matters for display and day counting."""
        day = (WorkingHours(0, MINUTES_PER_DAY),)
        return cls(zone=zone, weekly=(day,) * 7, name=name)

    @property
    def is_always_open(self) -> bool:
        """24x7 with no holidays or overrides: working time is simply elapsed time."""
        whole_day = (WorkingHours(0, MINUTES_PER_DAY),)
        closures = self.holiday_country or self.extra_holidays or self.overrides
        return not closures and all(day == whole_day for day in self.weekly)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def local(self, at: datetime) -> datetime:
        """``at`` on this calendar's wall clock."""
        return require_aware(at).astimezone(self.tz)

    def holiday_name(self, day: date) -> str | None:
        """The public or explicit holiday on ``day``, if any."""
        if day in self._extra_by_day:
            return self._extra_by_day[day]
        if self.holiday_country is None:
            return None
        return public_holidays(self.holiday_country, self.holiday_subdiv, day.year).get(day)

    def hours_on(self, day: date) -> tuple[WorkingHours, ...]:
        """Wall-clock hours of a local date: an override, else closed on a holiday, else weekly."""
        override = self._overrides_by_day.get(day)
        if override is not None:
            return override.hours
        if self.holiday_name(day) is not None:
            return ()
        return self.weekly[day.weekday()]

    def intervals_on(self, day: date) -> list[Interval]:
        """The local date's working hours as UTC intervals; empty ones (inside a gap) dropped."""
        return list(self._day_intervals(day))

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        """``intervals_on``, worked out once per date (a pure function of the calendar)."""
        found = self._intervals_by_day.get(day)
        if found is None:
            if len(self._intervals_by_day) >= _DAYS_KEPT:
                self._intervals_by_day.clear()
            found = self._intervals_by_day[day] = tuple(self._work_out_intervals(day))
        return found

    def _work_out_intervals(self, day: date) -> Iterator[Interval]:
        midnight, zone = datetime.combine(day, time()), self.tz
        for hours in self.hours_on(day):
            start = local_to_utc(midnight + timedelta(minutes=hours.start), zone)
            end = local_to_utc(midnight + timedelta(minutes=hours.end), zone)
            if end > start:
                yield Interval(start, end)

    def is_business_day(self, day: date) -> bool:
        return bool(self._day_intervals(day))

    def business_day_after(self, day: date, count: int = 1) -> date:
        """The ``count``-th business day strictly after ``day`` (a local date)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        for _ in range(HORIZON_DAYS):
            day += _ONE_DAY
            if self.is_business_day(day):
                count -= 1
                if count == 0:
                    return day
        raise ValueError(f"calendar {self.name or self.zone} has no business day after {day}")

    def close_of(self, day: date) -> datetime | None:
        """When a local date's last working interval ends; None if the day is closed."""
        intervals = self._day_intervals(day)
        return intervals[-1].end if intervals else None

    def is_open(self, at: datetime) -> bool:
        at = require_aware(at)
        today = at.astimezone(self.tz).date()
        return any(
            iv.start <= at < iv.end
            for day in (today - _ONE_DAY, today)
            for iv in self._day_intervals(day)
        )

    def next_open(self, at: datetime) -> datetime:
        """``at`` if open, else the start of the next working interval."""
        return next(self._walk(require_aware(at))).start

    def working_intervals_between(self, start: datetime, end: datetime) -> list[Interval]:
        """Working time in ``[start, end)``, contiguous intervals merged (24x7 is one interval)."""
        start, end = require_aware(start, "start"), require_aware(end, "end")
        merged: list[Interval] = []
        day, last = start.astimezone(self.tz).date() - _ONE_DAY, end.astimezone(self.tz).date()
        while day <= last:
            for iv in self._day_intervals(day):
                piece = Interval(max(iv.start, start), min(iv.end, end))
                if piece.end <= piece.start:
                    continue
                if merged and merged[-1].end >= piece.start:
                    merged[-1] = Interval(merged[-1].start, max(merged[-1].end, piece.end))
                else:
                    merged.append(piece)
            day += _ONE_DAY
        return merged

    def working_time_between(
        self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
    ) -> timedelta:
        """Working time in ``[start, end)`` that no pause covers."""
        paused = merge_pauses(pauses)
        total = timedelta()
        for iv in self.working_intervals_between(start, end):
            total += sum((free.duration for free in subtract(iv, paused)), timedelta())
        return total

    def add_working_time(
        self, start: datetime, duration: timedelta, pauses: Iterable[Pause] = ()
    ) -> datetime:
        """The instant at which ``duration`` of unpaused working time after ``start`` is used up.

        A duration that ends exactly at a close is due at the close, not at the next opening.
        Zero is due at ``start``.
        """
        start = require_aware(start, "start")
        if duration < timedelta():
            raise ValueError(f"duration {duration} is negative")
        if not duration:
            return start
        paused, remaining = merge_pauses(pauses), duration
        for iv in self._walk(start):
            for free in subtract(iv, paused):
                if remaining <= free.duration:
                    return free.start + remaining
                remaining -= free.duration
        raise AssertionError("unreachable: _walk raises when the horizon runs out")

    def exceptions_between(self, start: datetime, end: datetime) -> list[DayException]:
        """Local dates in ``[start, end]`` whose hours differ from their weekday's."""
        found = []
        day, last = self.local(start).date(), self.local(end).date()
        while day <= last:
            override = self._overrides_by_day.get(day)
            weekly = self.weekly[day.weekday()]
            if override is not None:
                if override.hours != weekly:
                    found.append(DayException(day, "override", override.reason))
            elif weekly and (name := self.holiday_name(day)) is not None:
                found.append(DayException(day, "holiday", name))
            day += _ONE_DAY
        return found

    def _walk(self, start: datetime) -> Iterator[Interval]:
        """Working intervals from ``start`` on, the first clipped to start at ``start``."""
        day = start.astimezone(self.tz).date() - _ONE_DAY
        for _ in range(HORIZON_DAYS):
            for iv in self._day_intervals(day):
                if iv.end > start:
                    yield Interval(max(iv.start, start), iv.end)
            day += _ONE_DAY
        raise ValueError(
            f"calendar {self.name or self.zone}: no working time within {HORIZON_DAYS} days"
        )


def merge_pauses(pauses: Iterable[Pause]) -> list[Interval]:
    """Pauses as sorted, non-overlapping UTC intervals."""
    merged: list[Interval] = []
    spans = sorted((require_aware(p.start), require_aware(p.end)) for p in pauses)
    for start, end in spans:
        if end <= start:
            continue
        if merged and merged[-1].end >= start:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, end))
        else:
            merged.append(Interval(start, end))
    return merged


def subtract(interval: Interval, paused: list[Interval]) -> Iterator[Interval]:
    """The parts of ``interval`` that no (sorted, merged) pause covers."""
    cursor = interval.start
    for pause in paused:
        if pause.end <= cursor:
            continue
        if pause.start >= interval.end:
            break
        if pause.start > cursor:
            yield Interval(cursor, pause.start)
        cursor = max(cursor, pause.end)
    if cursor < interval.end:
        yield Interval(cursor, interval.end)


def _check_disjoint(hours: tuple[WorkingHours, ...]) -> None:
    for before, after in itertools.pairwise(hours):
        if after.start < before.end:
            raise ValueError(f"working hours {before} and {after} overlap or are out of order")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
