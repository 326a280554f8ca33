"""An incident's SLA clocks from its stored facts: terms, pauses, lifecycle moments.

Reads the store (``clock_facts``), then hands plain facts to ``collector.domain.sla``. Pauses
run until the incident was resolved or closed, or until ``now`` while they are still going: the
due time is then the one that holds if access came back (or the customer answered) now, so the
SLA sweep moves it on as a pause goes on and never reports a breach during one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.access import AccessRules
from collector.domain.calendar import Pause
from collector.domain.sla import Explanation, TargetClock, earliest, explain_clock
from collector.domain.tiers import DEFAULT_REGION, Tier
from collector.engine.clock_facts import ClockFacts
from collector.engine.clock_memo import clocks_of
from collector.engine.incident_terms import rise_tiers, tier_from_policy
from collector.store.incident_view import IncidentView

DEFAULT_RULES = AccessRules()


def access_rules(config: CollectorConfig) -> AccessRules:
    monitoring = config.monitoring
    return AccessRules(
        missed_intervals=monitoring.heartbeat_missed_intervals,
        vendor_network_customers=monitoring.vendor_network_customers,
        canary_hosts=tuple(monitoring.vendor_canary_hosts),
    )


def incident_pauses_for(
    conn: Connection, incident: IncidentView, now: datetime, rules: AccessRules = DEFAULT_RULES
) -> list[Pause]:
    """Access the customer withheld (``collector.domain.access``), and waits on them."""
    return ClockFacts.read(conn, [incident], now, rules).pauses(incident)


def incident_clocks(
    conn: Connection,
    incident: IncidentView,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
    facts: ClockFacts | None = None,
) -> dict[str, TargetClock]:
    """Every started clock of the incident's terms; empty when it is not covered. After a
    severity rise each target is the earlier of the promise made at opening and the new
    severity's, counted from the rise. ``facts``: read for several incidents at ``now`` at
    once (a sweep), else read for this one."""
    if not incident.covered:
        return {}
    if facts is None:
        facts = ClockFacts.read(conn, [incident], now, rules)
    elif facts.now != now:
        raise ValueError(f"clock facts read at {facts.now}, asked at {now}")
    clocks = _clocks_with(incident, catalogue, facts, None)
    in_force = facts.in_force()
    for name in list(clocks):
        # A finished target's due time is history: the days announced when it finished count,
        # not those announced (or withdrawn) since.
        finished = incident.finished_at(name)
        if finished is not None and finished < now and facts.in_force(finished) != in_force:
            clocks[name] = _clocks_with(incident, catalogue, facts, finished)[name]
    return clocks


def _clocks_with(
    incident: IncidentView,
    catalogue: Mapping[str, Tier],
    facts: ClockFacts,
    announced_at: datetime | None,
) -> dict[str, TargetClock]:
    """The clocks with the days announced at ``announced_at`` (None: now) applied."""
    pauses = facts.pauses(incident)
    sets = []
    tier = tier_from_policy(incident.policy, incident.severity, catalogue, incident.tier)
    if tier is not None and tier.covered:
        tier = facts.announced_tier(tier, announced_at)
        sets.append(_clocks(tier, incident.severity, incident.opened_at, pauses, incident))
    for raised_at, severity, raised in rise_tiers(incident.policy):
        raised = facts.announced_tier(raised, announced_at)
        clocks = _clocks(raised, severity, raised_at, pauses, incident)
        sets.append({name: _from_rise(clock) for name, clock in clocks.items()})
    return earliest(*sets)


def _from_rise(clock: TargetClock) -> TargetClock:
    """A clock a severity rise started says so, rather than "opened" at the rise."""
    return replace(clock, anchor="severity_raised") if clock.anchor == "opened" else clock


def _clocks(
    tier: Tier, severity: str, start: datetime, pauses: list[Pause], incident: IncidentView
) -> dict[str, TargetClock]:
    return clocks_of(
        tier,
        severity,
        start,
        pauses,
        onsite_requested_at=incident.onsite_requested_at,
        failure_confirmed_at=incident.failure_confirmed_at,
        region=incident.customer_region or DEFAULT_REGION,
        local_zone=incident.customer_timezone,
    )


def explain_incident(
    conn: Connection,
    incident: IncidentView,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
    facts: ClockFacts | None = None,
) -> dict[str, Explanation]:
    """Why each of the incident's targets is due when it is (``facts`` as ``incident_clocks``
    takes them)."""
    clocks = incident_clocks(conn, incident, catalogue, now, rules, facts)
    return {name: explain_clock(clock) for name, clock in clocks.items()}
