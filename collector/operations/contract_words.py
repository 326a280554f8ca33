"""A customer's contract in plain words: the tier, its hours, its targets, who may call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.calendar import BusinessCalendar
from collector.domain.tiers import SEVERITIES, TARGET_NAMES, Target, Tier
from collector.store import inventory

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TARGET_WORDS = {
    "first_response": "first response",
    "resolution": "resolution",
    "on_site": "engineer on site",
    "parts_dispatch": "parts dispatched",
    "parts_delivery": "parts delivered",
    "part_return": "faulty part returned",
}


@dataclass(frozen=True)
class ContractWords:
    tier: str
    title: str
    covered: bool
    starts_on: datetime | None
    ends_on: datetime | None
    hours: list[str]
    zone: str
    targets: list[str]
    included: list[str]
    not_covered: list[str]
    named_contacts: int | None
    contacts: list[tuple[str, str]] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def hours_words(calendar: BusinessCalendar | None) -> list[str]:
    """ "Monday to Friday 09:00-17:00", one line per run of days with the same hours."""
    if calendar is None:
        return ["24 hours a day, 7 days a week"]
    lines: list[str] = []
    day = 0
    while day < 7:
        hours = calendar.weekly[day]
        last = day
        while last + 1 < 7 and calendar.weekly[last + 1] == hours:
            last += 1
        days = DAYS[day] if day == last else f"{DAYS[day]} to {DAYS[last]}"
        spans = ", ".join(str(h) for h in hours) or "closed"
        lines.append(f"{days}: {spans}")
        day = last + 1
    if calendar.holiday_country:
        lines.append(f"Public holidays ({calendar.holiday_country}) are not working days.")
    return lines


def target_words(name: str, target: Target) -> str:
    """``first response: 1 h around the clock``: the target as the tier defines it, on its
    own calendar (a severity's target may run on another than the tier's hours). The
    operators' customer page and the customer's portal both word targets with it."""
    return f"{TARGET_WORDS.get(name, name.replace('_', ' '))}: {target.describe()}"


#: What a severity without any target reads as.
NO_TARGET = "no response target"


def targets_in_words(tier: Tier) -> list[tuple[str, list[str]]]:
    """Per severity, each target as ``first response: 4 h working time``."""
    found = []
    for severity in SEVERITIES:
        targets = tier.targets(severity)
        words = [target_words(name, targets[name]) for name in TARGET_NAMES if name in targets]
        found.append((severity, words or [NO_TARGET]))
    return found


def tier_targets(tier: Tier) -> list[str]:
    """``Critical faults: first response: 1 h around the clock.``, for each severity with
    targets."""
    return [
        f"{severity.capitalize()} faults: {'; '.join(words)}."
        for severity, words in targets_in_words(tier)
        if words != [NO_TARGET]
    ]


def support_phones(tier: Tier | None, config: CollectorConfig) -> list[str]:
    """The numbers the customer calls: their tier's (as every fault mail prints them) first,
    then the vendor's general ones from ``portal.support_phones``."""
    found = list(tier.support_phones) if tier is not None else []
    return found + [p for p in config.portal.support_phones if p not in found]


def contract_words(
    conn: Connection, customer_id: str, now: datetime, config: CollectorConfig
) -> ContractWords:
    contract = inventory.current_contract(conn, customer_id, now)
    tier = catalogue_for(config).get(contract.tier) if contract else None
    people = [(name, email) for name, email in inventory.contacts_of(conn, customer_id)]
    phones = support_phones(tier, config)
    if contract is None or tier is None:
        return ContractWords(
            "none", "No contract in force", False, None, None, [], "UTC", [], [], [], None,
            people, phones,
        )  # fmt: skip
    return ContractWords(
        tier=tier.name,
        title=tier.title,
        covered=tier.covered,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        hours=hours_words(tier.calendar),
        zone=tier.calendar.zone if tier.calendar else "UTC",
        targets=tier_targets(tier) if tier.covered else [],
        included=list(tier.entitlement.included),
        not_covered=list(tier.entitlement.not_covered),
        named_contacts=tier.entitlement.named_contacts,
        contacts=people,
        phones=phones,
    )
