"""The tier catalogue's YAML schema (pydantic) and the small text formats inside it.

Shorthands are expanded before validation so that errors name one field, not each member of a
union: ``"8h"`` is ``{within: 8h}``, ``next_business_day`` is ``{business_days: 1}``, a plain
number of business days is ``{other: N}``, and ``hours: 24x7`` is every day 00:00-24:00.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")


def _target_shorthand(value: Any) -> Any:
    """``"8h"`` means ``{within: 8h}``; ``"next_business_day"`` means ``{business_days: 1}``."""
    if value == "next_business_day":
        return {"business_days": 1}
    return {"within": value} if isinstance(value, str) else value


def _days_shorthand(value: Any) -> Any:
    is_number = isinstance(value, int) and not isinstance(value, bool)
    return {"other": value} if is_number else value


def _hours_shorthand(value: Any) -> Any:
    return {"mon-sun": ["00:00-24:00"]} if value == "24x7" else value


SeverityName = Literal["critical", "major", "minor"]
TargetName = Literal[
    "first_response", "resolution", "on_site", "parts_dispatch", "parts_delivery", "part_return"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSpec(_Strict):
    within: str | None = None
    business_days: Annotated[dict[str, int] | None, BeforeValidator(_days_shorthand)] = None
    same_day_cutoff: str | None = None
    calendar: str | None = None


TargetValue = Annotated[TargetSpec, BeforeValidator(_target_shorthand)]


class HolidaySource(_Strict):
    country: str
    subdiv: str | None = None


class OverrideSpec(_Strict):
    hours: list[str] = []
    reason: str


class CalendarSpec(_Strict):
    zone: str
    hours: Annotated[dict[str, list[str]], BeforeValidator(_hours_shorthand)]
    holidays: HolidaySource | None = None
    closed: dict[date, str] = {}
    overrides: dict[date, OverrideSpec] = {}


class EscalationSpec(_Strict):
    pages_on_call: bool = False
    page_severities: list[SeverityName] = []
    page_response: str | None = None
    repage_after: str | None = None
    escalate_after: str | None = None
    #: Page only for incidents opened outside the tier's calendar (its staffed hours).
    outside_hours_only: bool = False


class BillingSpec(_Strict):
    price: Decimal | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    price_per: Literal["incident", "year"] | None = None
    plus_vat: bool = False
    per_port: Decimal | None = None
    max_hours_per_incident: str | None = None
    credit_valid_days: Annotated[int, Field(ge=1)] | None = None
    charge_product_defects: bool = True
    vendor_may_decline: bool = False


class ExcludedChecksSpec(_Strict):
    checks: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=1)]


class EntitlementSpec(_Strict):
    front_of_queue: bool = False
    named_contacts: Annotated[int, Field(ge=1)] | None = None
    not_covered: list[str] = []
    included: list[str] = []
    #: Equipment the tier does not cover, by the check keys that watch it (a prefix such as
    #: ``asterisk.endpoint:``): its faults are mailed but open no SLA clock.
    excluded_checks: list[ExcludedChecksSpec] = []


class TierSpec(_Strict):
    title: str
    source: str
    covered: bool = True
    calendar: str | None = None
    targets: dict[TargetName, TargetValue] = {}
    severities: dict[SeverityName, dict[TargetName, TargetValue | None]] = {}
    escalation: EscalationSpec = EscalationSpec()
    billing: BillingSpec = BillingSpec()
    entitlement: EntitlementSpec = EntitlementSpec()
    #: The numbers the customer calls, as fault mails print them.
    support_phones: list[Annotated[str, Field(min_length=1, max_length=120)]] = []


class CatalogueSpec(_Strict):
    version: Literal[1]
    calendars: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], CalendarSpec]
    tiers: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], TierSpec]


def parse_weekdays(key: str) -> list[int]:
    """``mon``, ``mon-fri``, ``sat-sun``, ``mon-sun``; Monday is 0."""
    first, _, last = key.partition("-")
    if first not in DAY_NAMES or (last and last not in DAY_NAMES):
        raise ValueError(f"{key!r} is not a weekday or range like mon-fri")
    start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
    if end < start:
        raise ValueError(f"{key!r} runs backwards; write it Monday first")
    return list(range(start, end + 1))


def parse_duration(text: str) -> timedelta:
    """``8h``, ``90m``, ``1h30m``, ``45min``."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"duration {text!r} must look like 8h, 90m or 1h30m")
    hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes)


def parse_clock(text: str) -> time:
    """``15:00`` as a local time of day."""
    match = _CLOCK.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"time {text!r} must look like 15:00 (quote it in YAML)")
    return time(int(match[1]), int(match[2]))
