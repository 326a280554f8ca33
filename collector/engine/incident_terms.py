"""The terms copied onto an incident (its ``policy``), and the tier rebuilt from them.

How the copied policy and later recalculation interact:

* When an incident opens, or a contract change gives it a new tier, ``policy_for`` freezes the
  tier's terms for the incident's severity into the policy: the tier's name and title, the due
  times promised then (``targets``), the front-of-queue flag, and under ``definition`` every
  target's rule *with its calendar* (zone, weekly hours, holiday source, closed dates,
  overrides).
* Every recalculation — a pause starting or ending, a visit requested, the SLA sweep — rebuilds
  the tier from that frozen ``definition`` (``tier_from_policy``), never from the catalogue, so
  a later edit of ``config/tiers.yaml`` never moves a promise already made. Public holidays
  still come from the ``holidays`` package by country, as they do for the catalogue.
* Only a contract change replaces the terms, from the catalogue the collector runs with.
* A policy without a ``definition`` (written before definitions were stored) falls back to the
  named tier's current catalogue entry.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast

from collector.domain.calendar import BusinessCalendar, DateOverride, Holiday, WorkingHours
from collector.domain.tiers import SEVERITIES, Target, Tier

NOT_COVERED = "none"


def policy_for(
    tier: Tier | None, severity: str, opened_at: datetime, due: Mapping[str, datetime]
) -> dict[str, Any]:
    """The policy an incident opened at ``opened_at`` carries under ``tier`` (None: no
    contract in force)."""
    if tier is None:
        return {
            "tier": NOT_COVERED,
            "title": "No contract in force",
            "targets": {},
            "front_of_queue": False,
            "definition": {},
        }
    calendar = tier.calendar
    targets = tier.targets(severity) if tier.covered else {}
    return {
        "tier": tier.name,
        "title": tier.title,
        "severity": severity,
        "timezone": calendar.zone if calendar else "UTC",
        "targets": {name: at.isoformat() for name, at in due.items()},
        **paging_terms(tier, severity),
        "front_of_queue": tier.entitlement.front_of_queue,
        "definition": {name: target_json(target) for name, target in targets.items()},
    }


def paging_terms(tier: Tier, severity: str) -> dict[str, Any]:
    """Whether the severity pages, and for a tier that pages only outside its staffed line,
    that line's hours: the paging sweep asks at every run, so an incident still unanswered
    when the line closes pages then (collector.jobs.paging)."""
    terms: dict[str, Any] = {"pages_on_call": tier.escalation.pages(severity)}
    if tier.escalation.outside_hours_only and tier.calendar is not None:
        terms["staffed_hours"] = calendar_json(tier.calendar)
    return terms


def raised_policy(
    policy: Mapping[str, Any], tier: Tier | None, severity: str, at: datetime
) -> dict[str, Any]:
    """The incident's terms after its severity rose to ``severity`` at ``at``: the new
    severity's targets, counted from ``at``, join the ones already promised (``rises``); the
    earlier due time of each wins (``incident_clock.incident_clocks``)."""
    raised = {**policy, "severity": severity}
    if tier is None or not tier.covered:
        return raised
    targets = tier.targets(severity)
    rise = {
        "at": at.isoformat(),
        "severity": severity,
        "definition": {name: target_json(target) for name, target in targets.items()},
    }
    raised["rises"] = [*policy.get("rises", []), rise]
    raised.update(paging_terms(tier, severity))
    return raised


def rise_tiers(policy: Mapping[str, Any]) -> list[tuple[datetime, str, Tier]]:
    """Each severity rise as (when, severity, the tier of its targets)."""
    found = []
    for rise in policy.get("rises", []):
        severity = str(rise["severity"])
        tier = _defined_tier(policy, rise["definition"], severity)
        found.append((datetime.fromisoformat(rise["at"]), severity, tier))
    return found


def tier_from_policy(
    policy: Mapping[str, Any],
    severity: str,
    catalogue: Mapping[str, Tier],
    tier_name: str = NOT_COVERED,
) -> Tier | None:
    """The tier whose targets the incident is measured by; None when it has none to measure.

    ``tier_name`` (the incident's tier column) names the catalogue entry for a policy that
    carries neither a definition nor a tier name.
    """
    definition = policy.get("definition")
    if definition is None:
        return catalogue.get(str(policy.get("tier", tier_name)))
    if not definition:
        return None
    return _defined_tier(policy, definition, severity)


#: Tiers rebuilt from frozen definitions, by the definition's text: every recalculation of
#: every open incident rebuilds one (calendars and all), and incidents opened under the same
#: terms share it. Tiers are immutable, so one instance serves them all.
_DEFINED: dict[tuple[bytes | str, str, str, str], Tier] = {}
_DEFINED_KEPT = 512


def _defined_tier(policy: Mapping[str, Any], definition: Mapping[str, Any], severity: str) -> Tier:
    """The tier measuring ``severity`` by the targets ``definition`` freezes."""
    name, title = str(policy.get("tier", "")), str(policy.get("title", ""))
    key = (_content_key(definition), severity, name, title)
    tier = _DEFINED.get(key)
    if tier is None:
        targets = {target: target_from_json(spec) for target, spec in definition.items()}
        tier = Tier(
            name=name,
            title=title,
            covered=True,
            calendar=None,
            severities={s: (targets if s == severity else {}) for s in SEVERITIES},
        )
        if len(_DEFINED) >= _DEFINED_KEPT:
            _DEFINED.clear()
        _DEFINED[key] = tier
    return tier


def _content_key(definition: Mapping[str, Any]) -> bytes | str:
    """A key equal only for equal definitions: the JSON read back, marshalled (several times
    cheaper than its repr, and as exact: marshal writes each type apart and reads back what it
    wrote, so two different definitions never give the same bytes; an equal one may, at worst,
    give other bytes and a tier of its own). Its repr for a value marshal cannot write."""
    try:
        return marshal.dumps(cast(Any, definition))
    except ValueError:
        return repr(definition)


def target_json(target: Target) -> dict[str, Any]:
    return {
        "within_s": target.within.total_seconds() if target.within is not None else None,
        "business_days": target.business_days,
        "business_days_by_region": [list(pair) for pair in target.business_days_by_region],
        "same_day_cutoff": target.same_day_cutoff.isoformat() if target.same_day_cutoff else None,
        "calendar": calendar_json(target.calendar),
    }


def target_from_json(data: Mapping[str, Any]) -> Target:
    within, cutoff = data.get("within_s"), data.get("same_day_cutoff")
    return Target(
        calendar=calendar_from_json(data["calendar"]),
        within=timedelta(seconds=within) if within is not None else None,
        business_days=data.get("business_days"),
        business_days_by_region=tuple(
            (str(region), int(days)) for region, days in data.get("business_days_by_region", [])
        ),
        same_day_cutoff=time.fromisoformat(cutoff) if cutoff else None,
    )


def calendar_json(calendar: BusinessCalendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "zone": calendar.zone,
        "weekly": [[str(hours) for hours in day] for day in calendar.weekly],
        "holiday_country": calendar.holiday_country,
        "holiday_subdiv": calendar.holiday_subdiv,
        "closed": [[h.day.isoformat(), h.name] for h in calendar.extra_holidays],
        "overrides": [
            [o.day.isoformat(), [str(hours) for hours in o.hours], o.reason]
            for o in calendar.overrides
        ],
    }


#: A calendar's JSON as a hashable key: zone, weekly, country, subdivision, closed, overrides,
#: name.
_CalendarKey = tuple[Any, ...]


def calendar_from_json(data: Mapping[str, Any]) -> BusinessCalendar:
    """The calendar ``calendar_json`` wrote. Every recalculation of every open incident
    rebuilds its targets' calendars, and an incident's are few and never change: each is
    parsed once (a calendar is immutable, so one instance serves every incident)."""
    key = (
        data["zone"],
        tuple(tuple(day) for day in data["weekly"]),
        data.get("holiday_country"),
        data.get("holiday_subdiv"),
        tuple(tuple(closed) for closed in data.get("closed", [])),
        tuple((day, tuple(hours), reason) for day, hours, reason in data.get("overrides", [])),
        data.get("name", ""),
    )
    return _calendar(key)


@lru_cache(maxsize=1024)
def _calendar(key: _CalendarKey) -> BusinessCalendar:
    zone, weekly, country, subdivision, closed, overrides, name = key
    return BusinessCalendar(
        zone=zone,
        weekly=tuple(tuple(WorkingHours.parse(h) for h in day) for day in weekly),
        holiday_country=country,
        holiday_subdiv=subdivision,
        extra_holidays=tuple(Holiday(date.fromisoformat(day), label) for day, label in closed),
        overrides=tuple(
            DateOverride(
                date.fromisoformat(day), tuple(WorkingHours.parse(h) for h in hours), reason
            )
            for day, hours, reason in overrides
        ),
        name=name,
    )
