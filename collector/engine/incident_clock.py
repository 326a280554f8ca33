"""An incident's SLA clocks from its stored facts: terms, pauses, lifecycle moments.

Reads the store, then hands plain facts to ``collector.domain.sla``. Pauses run until the
incident was resolved or closed, or until ``now`` while they are still going: the due time is
then the one that holds if access came back (or the customer answered) now, so the SLA sweep
moves it on as a pause goes on and never reports a breach during one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain import access
from collector.domain.access import AccessRules
from collector.domain.announcements import tier_with_announcements
from collector.domain.calendar import Pause
from collector.domain.sla import Explanation, TargetClock, earliest, explain_clock, target_clocks
from collector.domain.tiers import DEFAULT_REGION, Tier
from collector.engine.incident_terms import rise_tiers, tier_from_policy
from collector.store import announcements as announcement_store
from collector.store import incident_pauses
from collector.store.incident_view import IncidentView

WAITING_WORDS = "waiting on the customer"
DEFAULT_RULES = AccessRules()


def access_rules(config: CollectorConfig) -> AccessRules:
    monitoring = config.monitoring
    return AccessRules(
        missed_intervals=monitoring.heartbeat_missed_intervals,
        vendor_network_customers=monitoring.vendor_network_customers,
        canary_hosts=tuple(monitoring.vendor_canary_hosts),
    )


def pauses_until(incident: IncidentView, now: datetime) -> datetime:
    """Pauses stop counting when the incident is resolved or closed, else at ``now``."""
    ends = [t for t in (incident.resolved_at, incident.closed_at) if t is not None]
    return min([now, *ends])


def incident_pauses_for(
    conn: Connection, incident: IncidentView, now: datetime, rules: AccessRules = DEFAULT_RULES
) -> list[Pause]:
    """Access the customer withheld (``collector.domain.access``), and waits on them."""
    until = pauses_until(incident, now)
    pauses = access_lost_pauses(conn, incident, until, rules)
    if access.access_is_on_request(incident.access_rule, None):
        pauses += access.grant_pause(incident.opened_at, incident.access_granted_at, until)
    for start, end in incident_pauses.waits(conn, incident.id):
        stop = min(end or until, until)
        if stop > start:
            pauses.append(Pause(start, stop, WAITING_WORDS))
    return pauses


def access_lost_pauses(
    conn: Connection, incident: IncidentView, until: datetime, rules: AccessRules
) -> list[Pause]:
    """The host's access checks failing while its agent reported and the vendor's network was
    up; nothing for an incident that is itself about such an outage."""
    if incident.host_id is None or access.is_outage_key(incident.check_key):
        return []
    since = incident.opened_at
    losses = incident_pauses.access_losses(
        conn, since=since, until=until, host_ids=[incident.host_id],
        exclude_fault_id=incident.fault_id,
    )  # fmt: skip
    if not losses:
        return []
    silent = incident_pauses.silent_spans(
        conn, incident.host_id, until=until, missed_intervals=rules.missed_intervals
    )
    return access.access_pauses(
        losses, host_silent=silent, vendor_down=vendor_down(conn, since, until, rules), until=until
    )


def vendor_down(
    conn: Connection, since: datetime, until: datetime, rules: AccessRules
) -> list[access.Span]:
    """When the vendor's own network was down between ``since`` and ``until``."""
    everyone = incident_pauses.access_losses(conn, since=since, until=until)
    canaries = incident_pauses.remote_losses_of_hosts(
        conn, rules.canary_hosts, since=since, until=until
    )
    return access.vendor_network_spans(everyone, canaries, until, rules.vendor_network_customers)


def incident_clocks(
    conn: Connection,
    incident: IncidentView,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
) -> dict[str, TargetClock]:
    """Every started clock of the incident's terms; empty when it is not covered. After a
    severity rise each target is the earlier of the promise made at opening and the new
    severity's, counted from the rise."""
    if not incident.covered:
        return {}
    pauses = incident_pauses_for(conn, incident, now, rules)
    announced = announcement_store.live(conn)
    sets = []
    tier = tier_from_policy(incident.policy, incident.severity, catalogue, incident.tier)
    if tier is not None and tier.covered:
        tier = tier_with_announcements(tier, announced)
        sets.append(_clocks(tier, incident.severity, incident.opened_at, pauses, incident))
    for raised_at, severity, raised in rise_tiers(incident.policy):
        raised = tier_with_announcements(raised, announced)
        clocks = _clocks(raised, severity, raised_at, pauses, incident)
        sets.append({name: _from_rise(clock) for name, clock in clocks.items()})
    return earliest(*sets)


def _from_rise(clock: TargetClock) -> TargetClock:
    """A clock a severity rise started says so, rather than "opened" at the rise."""
    return replace(clock, anchor="severity_raised") if clock.anchor == "opened" else clock


def _clocks(
    tier: Tier, severity: str, start: datetime, pauses: list[Pause], incident: IncidentView
) -> dict[str, TargetClock]:
    return target_clocks(
        tier,
        severity,
        start,
        pauses=pauses,
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
) -> dict[str, Explanation]:
    """Why each of the incident's targets is due when it is."""
    clocks = incident_clocks(conn, incident, catalogue, now, rules)
    return {name: explain_clock(clock) for name, clock in clocks.items()}
