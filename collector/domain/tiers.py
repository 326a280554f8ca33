"""Contract tiers as plain data: calendars, targets per severity, escalation, billing, coverage.

Nothing here knows a tier by name; ``config/tiers.yaml`` holds every tier the seeds describe and
``collector.config.tiers`` turns it into these objects.

How a target's due time is measured (the seeds' words, made precise):

* ``within`` — working time on the target's calendar: "8 working hours", "2 business hours".
  Started outside hours, the clock simply waits for the next opening, so "raised outside hours,
  answered within the first two hours of the next business day" is ``within: 2h`` and nothing more.
* ``business_days: N`` — by the close of the N-th business day after the local date the clock
  starts on. "Next business day" is N = 1: a visit requested at 03:00 on a Tuesday is due by the
  close of Wednesday, not Tuesday — the calendar date has to change, as couriers and engineers
  plan by the day. Part return "within 5 business days" is N = 5, counted from the delivery day.
* ``same_day_cutoff`` (with ``business_days``) — started on a business day no later than this
  local time (inclusive: "by 3:00 PM" includes 15:00:00) and before that day's close, it is due by
  that day's close; otherwise the business-day rule applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from collector.domain.calendar import BusinessCalendar

SEVERITIES = ("critical", "major", "minor")
#: Every kind of target, in the order they are reported. The clock of each starts at a fixed
#: fact of the incident: see ``collector.domain.sla``.
TARGET_NAMES = (
    "first_response",
    "resolution",
    "on_site",
    "parts_dispatch",
    "parts_delivery",
    "part_return",
)
#: Part return depends on where the customer is; any region not listed is "other".
DEFAULT_REGION = "other"


@dataclass(frozen=True)
class Target:
    """One response target: a rule and the calendar it is measured on."""

    calendar: BusinessCalendar
    within: timedelta | None = None
    business_days: int | None = None
    business_days_by_region: tuple[tuple[str, int], ...] = ()
    same_day_cutoff: time | None = None

    def __post_init__(self) -> None:
        day_rule = self.business_days is not None or bool(self.business_days_by_region)
        if (self.within is None) == (not day_rule):
            raise ValueError("a target is either 'within' working time or business days")
        if self.within is not None and self.within <= timedelta():
            raise ValueError("a target's working time must be positive")
        if any(n < 1 for n in self.days_by_region().values()):
            raise ValueError("business days must be at least 1")
        if self.same_day_cutoff is not None and not day_rule:
            raise ValueError("a same-day cut-off needs a business-day rule to fall back on")

    def days_by_region(self) -> dict[str, int]:
        days = dict(self.business_days_by_region)
        if self.business_days is not None:
            days.setdefault(DEFAULT_REGION, self.business_days)
        return days

    def business_days_for(self, region: str = DEFAULT_REGION) -> int:
        """Business days allowed for a customer in ``region`` (unknown regions are "other")."""
        days = self.days_by_region()
        found = days.get(region, days.get(DEFAULT_REGION))
        if found is None:
            raise ValueError(f"no business days for region {region!r} or {DEFAULT_REGION!r}")
        return found

    def describe(self, region: str = DEFAULT_REGION) -> str:
        """The rule in words, e.g. "2 h working time" or "same day if by 15:00"."""
        if self.within is not None:
            clock = "around the clock" if self.calendar.is_always_open else "working time"
            return f"{format_duration(self.within)} {clock}"
        days = self.business_days_for(region)
        counted = "next business day" if days == 1 else f"{days} business days"
        if self.same_day_cutoff is not None:
            return f"same day if by {self.same_day_cutoff:%H:%M}, else {counted}"
        return counted


@dataclass(frozen=True)
class Escalation:
    """Paging: who gets woken, how fast they must answer, when to try again or someone else."""

    pages_on_call: bool = False
    page_severities: frozenset[str] = frozenset()
    page_response: timedelta | None = None
    repage_after: timedelta | None = None
    escalate_after: timedelta | None = None
    #: Page only for incidents opened outside the tier's own calendar: inside it the staffed
    #: desk answers (Premium: "Outside of the Standard Support line staffing hours, an oncall
    #: Customer Support Engineer will be paged").
    outside_hours_only: bool = False

    def pages(self, severity: str) -> bool:
        """Whether ``severity`` pages at all, whatever the hour."""
        return self.pages_on_call and severity in self.page_severities


@dataclass(frozen=True)
class Billing:
    """What an incident or the contract costs; amounts are exact decimals."""

    price: Decimal | None = None
    currency: str | None = None
    price_per: str | None = None  # "incident", "year", ...
    plus_vat: bool = False
    per_port: Decimal | None = None
    max_hours_per_incident: timedelta | None = None
    credit_valid_days: int | None = None
    charge_product_defects: bool = True
    vendor_may_decline: bool = False


@dataclass(frozen=True)
class Entitlement:
    """Who may ask, where they queue and what is excluded."""

    front_of_queue: bool = False
    named_contacts: int | None = None
    not_covered: tuple[str, ...] = ()
    included: tuple[str, ...] = ()
    #: (check-key prefix, why): equipment the tier excludes, e.g. handsets on Cat1.
    excluded_checks: tuple[tuple[str, str], ...] = ()

    def excludes(self, check_key: str) -> str | None:
        """Why a fault on ``check_key`` is not covered by the tier, or None when it is."""
        for prefix, reason in self.excluded_checks:
            if check_key.startswith(prefix):
                return reason
        return None


@dataclass(frozen=True)
class Tier:
    """A contract tier. ``covered`` is False for "no support": faults are recorded, no target."""

    name: str
    title: str
    covered: bool
    calendar: BusinessCalendar | None
    severities: Mapping[str, Mapping[str, Target]]
    escalation: Escalation = field(default_factory=Escalation)
    billing: Billing = field(default_factory=Billing)
    entitlement: Entitlement = field(default_factory=Entitlement)
    source: str = ""
    support_phones: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if set(self.severities) != set(SEVERITIES):
            raise ValueError(f"tier {self.name}: severities must be exactly {SEVERITIES}")
        for targets in self.severities.values():
            unknown = set(targets) - set(TARGET_NAMES)
            if unknown:
                raise ValueError(f"tier {self.name}: unknown targets {sorted(unknown)}")
            if targets and not self.covered:
                raise ValueError(f"tier {self.name} is not covered and cannot have targets")

    def targets(self, severity: str) -> Mapping[str, Target]:
        """The targets for one severity; an unknown severity is a ValueError naming the valid.

        A ``str`` enum member (``Severity.CRITICAL``) works too: its value is used.
        """
        severity = str(getattr(severity, "value", severity))
        if severity not in self.severities:
            raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
        return self.severities[severity]

    def pages_on_call(self, severity: str, opened_at: datetime) -> bool:
        """Whether an incident of ``severity`` opened at ``opened_at`` pages the on-call engineer.

        Decided once, when the incident opens: an incident opened while the desk is staffed is
        the desk's to answer even if it is still open after hours.
        """
        if not self.escalation.pages(severity):
            return False
        if self.escalation.outside_hours_only and self.calendar is not None:
            return not self.calendar.is_open(opened_at)
        return True


def format_duration(span: timedelta) -> str:
    """``2 h``, ``40 min``, ``1 h 5 min``; seconds are dropped."""
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
