"""Due times for an incident's targets, why they fall when they do, and when to warn.

Where each target's clock starts:

* ``first_response`` and ``resolution`` — when the incident opened;
* ``on_site`` — when an operator records that a visit is needed;
* ``parts_dispatch`` — when the hardware failure is confirmed;
* ``parts_delivery`` — from the dispatch due time (or the confirmation, with no dispatch target);
* ``part_return`` — from the delivery due time (else dispatch, else confirmation).

A target whose starting fact is unknown (no visit requested yet) is left out.

Pauses — remote access lost, waiting on the customer — stop the clocks that start when the
incident opens: the seeds exclude delays in giving the vendor access from *response* targets.
A pause costs exactly the working time it overlaps, and the due time moves later by that much
working time (for business-day targets too). On-site and parts clocks start from an operator's
decision, made once access exists, so pauses do not move them. An ongoing pause should be passed
as ending "now": the result is then the due time if access came back now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

from collector.domain.calendar import BusinessCalendar, DayException, Pause, require_aware
from collector.domain.tiers import DEFAULT_REGION, Target, Tier, format_duration

#: Why each clock starts, worded for explanations.
ANCHOR_WORDS = {
    "opened": "opened",
    "severity_raised": "severity raised",
    "onsite_requested": "visit requested",
    "failure_confirmed": "failure confirmed",
    "parts_dispatch": "dispatch due",
    "parts_delivery": "delivery due",
}
#: Anchors that are things that happened, not other targets' due times.
_FACTS = frozenset({"opened", "severity_raised", "onsite_requested", "failure_confirmed"})


@dataclass(frozen=True)
class TargetClock:
    """One target's clock: what it measures, from when, to when."""

    name: str
    target: Target
    anchor: str
    starts_at: datetime
    due: datetime
    pauses: tuple[Pause, ...]

    @property
    def calendar(self) -> BusinessCalendar:
        return self.target.calendar


def due_for(
    target: Target,
    start: datetime,
    *,
    pauses: Iterable[Pause] = (),
    region: str = DEFAULT_REGION,
    local_zone: str | None = None,
) -> datetime:
    """When one target falls due for a clock started at ``start``. ``local_zone`` is the
    customer's wall clock, which a same-day cut-off in "local time" is read on (None: the
    calendar's)."""
    start = require_aware(start, "start")
    calendar, pauses = target.calendar, tuple(pauses)
    if target.within is not None:
        return calendar.add_working_time(start, target.within, pauses)
    due = _business_day_due(target, start, region, local_zone)
    if not pauses:
        return due
    budget = calendar.working_time_between(start, due)
    return calendar.add_working_time(start, budget, pauses)


def _business_day_due(
    target: Target, start: datetime, region: str, local_zone: str | None = None
) -> datetime:
    calendar = target.calendar
    local = calendar.local(start)
    if target.same_day_cutoff is not None:
        close = calendar.close_of(local.date())
        wall = start.astimezone(ZoneInfo(local_zone)).time() if local_zone else local.time()
        if close is not None and wall <= target.same_day_cutoff and start < close:
            return close
    day = calendar.business_day_after(local.date(), target.business_days_for(region))
    close = calendar.close_of(day)
    assert close is not None  # business_day_after only returns open days
    return close


def target_clocks(
    tier: Tier,
    severity: str,
    opened_at: datetime,
    *,
    pauses: Iterable[Pause] = (),
    onsite_requested_at: datetime | None = None,
    failure_confirmed_at: datetime | None = None,
    region: str = DEFAULT_REGION,
    local_zone: str | None = None,
) -> dict[str, TargetClock]:
    """Every target the tier sets for ``severity`` whose clock has started, in report order."""
    targets, pauses = tier.targets(severity), tuple(pauses)
    clocks: dict[str, TargetClock] = {}

    def start_clock(name: str, anchor: str, start: datetime, paused: tuple[Pause, ...]) -> bool:
        if name not in targets:
            return False
        due = due_for(targets[name], start, pauses=paused, region=region, local_zone=local_zone)
        clocks[name] = TargetClock(name, targets[name], anchor, start, due, paused)
        return True

    opened = require_aware(opened_at, "opened_at")
    start_clock("first_response", "opened", opened, pauses)
    start_clock("resolution", "opened", opened, pauses)
    if onsite_requested_at is not None:
        start_clock("on_site", "onsite_requested", require_aware(onsite_requested_at), ())
    if failure_confirmed_at is not None:
        anchor, start = "failure_confirmed", require_aware(failure_confirmed_at)
        for name in ("parts_dispatch", "parts_delivery", "part_return"):
            if start_clock(name, anchor, start, ()):
                anchor, start = name, clocks[name].due
    return clocks


def earliest(*clock_sets: dict[str, TargetClock]) -> dict[str, TargetClock]:
    """Each target's clock that falls due first across the sets (a severity rise starts a new
    set; the promise already made still stands if it is the sooner)."""
    found: dict[str, TargetClock] = {}
    for clocks in clock_sets:
        for name, clock in clocks.items():
            if name not in found or clock.due < found[name].due:
                found[name] = clock
    return found


class ClockFacts(TypedDict, total=False):
    """What besides the opening moment starts or pauses the clocks (see ``target_clocks``)."""

    pauses: Iterable[Pause]
    onsite_requested_at: datetime | None
    failure_confirmed_at: datetime | None
    region: str


def due_times(
    tier: Tier, severity: str, opened_at: datetime, **facts: Unpack[ClockFacts]
) -> dict[str, datetime]:
    """UTC due time of each target (see ``target_clocks``); empty for an uncovered tier."""
    clocks = target_clocks(tier, severity, opened_at, **facts)
    return {name: clock.due for name, clock in clocks.items()}


@dataclass(frozen=True)
class PauseEffect:
    """How much working time one reason for pausing cost a target."""

    reason: str
    working_time: timedelta


@dataclass(frozen=True)
class Explanation:
    """Why a target is due when it is, as data and as one sentence for people."""

    target: str
    rule: str
    zone: str
    anchor: str
    starts_at: datetime
    started_outside_hours: bool
    counting_from: datetime
    due: datetime
    closed_days: tuple[DayException, ...]
    paused: tuple[PauseEffect, ...]
    sentence: str
    #: The calendar behind the due time in words: hours, zone, holidays, exceptions on the way.
    calendar: str = ""
    #: Every pause that cost working time, clipped to the clock, with its cause.
    pauses: tuple[Pause, ...] = ()


def explain_clock(clock: TargetClock, region: str = DEFAULT_REGION) -> Explanation:
    """Explain one target's due time (the sentence format is in ``explanation_sentence``)."""
    calendar = clock.calendar
    effects: dict[str, timedelta] = {}
    for pause in clock.pauses:
        lost = calendar.working_time_between(
            max(pause.start, clock.starts_at), min(pause.end, clock.due)
        )
        if lost:
            reason = pause.reason
            effects[reason] = effects.get(reason, timedelta()) + lost
    explanation = Explanation(
        target=clock.name,
        rule=clock.target.describe(region),
        zone=calendar.zone,
        anchor=clock.anchor,
        starts_at=clock.starts_at,
        started_outside_hours=not calendar.is_open(clock.starts_at),
        counting_from=calendar.next_open(clock.starts_at),
        due=clock.due,
        closed_days=tuple(calendar.exceptions_between(clock.starts_at, clock.due)),
        paused=tuple(PauseEffect(reason, lost) for reason, lost in effects.items()),
        sentence="",
        calendar=describe_calendar(calendar, clock.starts_at, clock.due),
        pauses=costly_pauses(clock),
    )
    return _with_sentence(explanation, calendar)


def costly_pauses(clock: TargetClock) -> tuple[Pause, ...]:
    """Every pause that cost the clock working time, clipped to it, in order (as explained)."""
    found = []
    for pause in clock.pauses:
        start, end = max(pause.start, clock.starts_at), min(pause.end, clock.due)
        if end > start and clock.calendar.working_time_between(start, end):
            found.append(Pause(start, end, pause.reason))
    return tuple(sorted(found, key=lambda p: p.start))


def explain(
    tier: Tier, severity: str, opened_at: datetime, **facts: Unpack[ClockFacts]
) -> dict[str, Explanation]:
    """``due_times`` with the reasons: one ``Explanation`` per target."""
    clocks = target_clocks(tier, severity, opened_at, **facts)
    region = facts.get("region", DEFAULT_REGION)
    return {name: explain_clock(clock, region) for name, clock in clocks.items()}


@dataclass(frozen=True)
class SlaAlerts:
    """When to warn and when the target is breached, and which of those are due at ``now``."""

    warn_at: datetime
    breach_at: datetime
    warning_due: bool
    breached: bool
    remaining: timedelta  # unpaused working time left; zero once breached


def sla_warnings(
    calendar: BusinessCalendar,
    starts_at: datetime,
    due: datetime,
    now: datetime,
    *,
    fraction: float = 0.75,
    pauses: Iterable[Pause] = (),
) -> SlaAlerts:
    """Warn once ``fraction`` of the target's working time has elapsed; breach at ``due``.

    Both are measured in working time on the target's calendar, so a warning at 75% of an
    8-working-hour target does not fire overnight. Pass the same pauses that gave ``due``.
    """
    _check_fraction(fraction)
    pauses = tuple(pauses)
    now = require_aware(now, "now")
    warn_at, due = alert_times(calendar, starts_at, due, fraction=fraction, pauses=pauses)
    remaining = calendar.working_time_between(now, due, pauses) if now < due else timedelta()
    return SlaAlerts(warn_at, due, now >= warn_at, now >= due, remaining)


def alert_times(
    calendar: BusinessCalendar,
    starts_at: datetime,
    due: datetime,
    *,
    fraction: float = 0.75,
    pauses: Iterable[Pause] = (),
) -> tuple[datetime, datetime]:
    """``sla_warnings``' warning and breach moments alone: what a sweep needs to know whether
    anything is due, without the working time left (which depends on ``now``)."""
    _check_fraction(fraction)
    pauses = tuple(pauses)
    due = require_aware(due, "due")
    budget = calendar.working_time_between(starts_at, due, pauses)
    return min(calendar.add_working_time(starts_at, budget * fraction, pauses), due), due


def _check_fraction(fraction: float) -> None:
    if not 0 < fraction <= 1:
        raise ValueError(f"warning fraction {fraction} must be in (0, 1]")


def _with_sentence(explanation: Explanation, calendar: BusinessCalendar) -> Explanation:
    return replace(explanation, sentence=explanation_sentence(explanation, calendar))


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_local(at: datetime, calendar: BusinessCalendar) -> str:
    """``Tue 29 Dec 11:00`` on the calendar's wall clock, whatever the process locale."""
    local = calendar.local(at)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def explanation_sentence(explanation: Explanation, calendar: BusinessCalendar) -> str:
    """E.g. "due Tue 29 Dec 11:00 Europe/London — opened Thu 24 Dec 18:10 outside hours;
    25, 28 Dec public holidays; paused 40 min while SSH was unreachable"."""
    started = f"{ANCHOR_WORDS[explanation.anchor]} {format_local(explanation.starts_at, calendar)}"
    if explanation.started_outside_hours and explanation.anchor in _FACTS:
        started += " outside hours"  # a chained clock starts at a close: "outside" says nothing
    parts = [started]
    holidays = [d.day for d in explanation.closed_days if d.kind == "holiday"]
    if holidays:
        parts.append(f"{_day_list(holidays)} public holiday{'s' if len(holidays) > 1 else ''}")
    reasons: dict[str, list[date]] = {}
    for day in explanation.closed_days:
        if day.kind == "override":
            reasons.setdefault(day.name, []).append(day.day)
    parts.extend(f"{_day_list(days)} {reason}" for reason, days in reasons.items())
    parts.extend(
        f"paused {format_duration(p.working_time)}" + (f" while {p.reason}" if p.reason else "")
        for p in explanation.paused
    )
    due = format_local(explanation.due, calendar)
    return f"due {due} {explanation.zone} — " + "; ".join(parts)


def _day_list(days: list[date]) -> str:
    """``25, 28 Dec`` or ``31 Dec, 1 Jan``: the month once per run of days in it."""
    groups: list[tuple[int, list[str]]] = []
    for day in days:
        if groups and groups[-1][0] == day.month:
            groups[-1][1].append(str(day.day))
        else:
            groups.append((day.month, [str(day.day)]))
    return ", ".join(f"{', '.join(nums)} {_MONTHS[month - 1]}" for month, nums in groups)


_HOLIDAY_PLACES = {("GB", "ENG"): "England", ("GB", None): "UK", ("US", None): "US"}


def describe_calendar(calendar: BusinessCalendar, start: datetime, end: datetime) -> str:
    """E.g. "Mon-Fri 09:00-17:00 Europe/London, England public holidays, 29, 30 Dec closed:
    Christmas shutdown": the weekly hours, the zone, the holidays, and the dates between
    ``start`` and ``end`` with hours of their own (announced days among them)."""
    if calendar.is_always_open:
        return f"24x7 {calendar.zone}"
    parts = [f"{_weekly_words(calendar)} {calendar.zone}"]
    if calendar.holiday_country:
        key = (calendar.holiday_country, calendar.holiday_subdiv)
        place = _HOLIDAY_PLACES.get(key) or "-".join(filter(None, key))
        parts.append(f"{place} public holidays")
    by_reason: dict[tuple[str, str], list[date]] = {}
    for day in calendar.exceptions_between(start, end):
        if day.kind == "override":
            hours = calendar.hours_on(day.day)
            kept = "closed" if not hours else ", ".join(str(h) for h in hours)
            by_reason.setdefault((kept, day.name), []).append(day.day)
    parts.extend(f"{_day_list(days)} {kept}: {why}" for (kept, why), days in by_reason.items())
    return ", ".join(parts)


def _weekly_words(calendar: BusinessCalendar) -> str:
    """``Mon-Fri 09:00-17:00``; runs of days with the same hours share one entry."""
    runs: list[tuple[int, int, str]] = []
    for index, hours in enumerate(calendar.weekly):
        words = ", ".join(str(h) for h in hours)
        if runs and runs[-1][2] == words and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index, words)
        else:
            runs.append((index, index, words))
    said = [
        (_DAYS[first] if first == last else f"{_DAYS[first]}-{_DAYS[last]}") + f" {words}"
        for first, last, words in runs
        if words
    ]
    return "; ".join(said) or "never open"
