"""What an incident row reads as (its terms, its lifecycle moments and the outcome of each
target, and the order operators work the queue in), and the statement that reads it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from collector.domain.outcomes import Outcome, target_outcome
from collector.domain.references import incident_reference
from collector.store.schema import customers, faults, hosts, incidents

#: The lifecycle moment that meets each target.
_MET_BY = {
    "first_response": "responded_at",
    "resolution": "resolved_at",
    "on_site": "on_site_at",
    "parts_dispatch": "parts_dispatched_at",
    "parts_delivery": "parts_delivered_at",
    "part_return": "part_returned_at",
}


def views(policy: Any = incidents.c.policy) -> Any:
    """The statement incident views are read with (``incident_view`` reads its rows), for a
    caller joining them to rows of its own: incidents with what their views show of their
    fault, host and customer; ``policy`` the column their terms are read from."""
    return (
        select(
            *(column for column in incidents.c if column.name != "policy"),
            policy.label("policy"),
            customers.c.name.label("customer_name"),
            hosts.c.name.label("host_name"),
            faults.c.host_id,
            faults.c.title,
            faults.c.check_key,
            customers.c.access.label("customer_access"),
            hosts.c.access.label("host_access"),
            customers.c.timezone.label("customer_timezone"),
            customers.c.region.label("customer_region"),
        )
        .join_from(incidents, faults)
        .outerjoin(hosts, hosts.c.id == faults.c.host_id)
        .join(customers, customers.c.id == incidents.c.customer_id)
    )


@dataclass(frozen=True)
class IncidentView:
    id: int
    fault_id: int
    customer_id: str
    customer_name: str
    host_name: str
    title: str
    tier: str
    covered: bool
    severity: str
    status: str
    opened_at: datetime
    response_due_at: datetime | None
    closed_at: datetime | None
    policy: dict[str, Any]
    host_id: str | None = None
    responded_at: datetime | None = None
    onsite_requested_at: datetime | None = None
    on_site_at: datetime | None = None
    resolved_at: datetime | None = None
    sla_warned_at: datetime | None = None
    sla_breached_at: datetime | None = None
    engineer_acknowledged_at: datetime | None = None
    engineer_acknowledged_by: str | None = None
    #: The incident's fault's check: an outage of access never pauses its own clock.
    check_key: str = ""
    #: ``on_request`` on the host, else on the customer: access is given only when asked.
    access_rule: str | None = None
    access_granted_at: datetime | None = None
    access_granted_by: str | None = None
    #: The customer's wall clock and region (None: the tier's zone, region "other").
    customer_timezone: str | None = None
    customer_region: str | None = None
    failure_confirmed_at: datetime | None = None
    parts_dispatched_at: datetime | None = None
    parts_delivered_at: datetime | None = None
    part_returned_at: datetime | None = None

    def met_at(self, target: str) -> datetime | None:
        """When the step that meets ``target`` was recorded; None while it is owed."""
        return getattr(self, _MET_BY[target]) if target in _MET_BY else None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def not_covered_reason(self) -> str:
        """Why no target applies, for an incident that is not covered."""
        excluded = self.policy.get("excluded")
        if excluded:
            return f"Not covered under {self.tier}: {excluded}."
        return "No contract covered the host when the fault opened."

    @property
    def reference(self) -> str:
        """What the customer quotes: the same in every mail and page about the outage."""
        return incident_reference(self.id, self.opened_at)

    @property
    def ended(self) -> bool:
        """Resolved or closed: it shows its outcome, no clock."""
        return self.resolved_at is not None or self.closed_at is not None

    @property
    def ended_at(self) -> datetime | None:
        return self.resolved_at or self.closed_at

    def finished_at(self, target: str) -> datetime | None:
        """When ``target`` finished: its step, or the incident's end, whichever came first."""
        done = [t for t in (self.met_at(target), self.ended_at) if t is not None]
        return min(done) if done else None

    def finished_before(self, target: str, now: datetime) -> bool:
        """Whether ``target`` finished before ``now``: its due time is then history, which
        nothing recalculates (an announced day, a later step)."""
        finished = self.finished_at(target)
        return finished is not None and finished < now

    def outcome(
        self, target: str, due: datetime | None, now: datetime | None = None
    ) -> Outcome | None:
        """``target``'s outcome with ``due`` its due time (``target_outcome``); with ``now``,
        a target past due without its step is breached already."""
        return target_outcome(due, self.met_at(target), self.ended_at, now)

    @property
    def response_outcome(self) -> Outcome | None:
        """The first response's outcome once it is in, or once the incident ended."""
        return self.outcome("first_response", self.response_due_at)

    @property
    def front_of_queue(self) -> bool:
        """The tier puts this customer at the front of the queue (seed 003, Priority)."""
        return bool(self.policy.get("front_of_queue", False))


def queue_order(incident: IncidentView) -> tuple[Any, ...]:
    """Operators' queue: front-of-queue tiers first, then awaiting a first response, soonest
    due first (no target last), then oldest."""
    due = incident.response_due_at
    return (
        not incident.front_of_queue,
        incident.responded_at is not None,
        due is None,
        due.timestamp() if due else 0.0,
        incident.opened_at,
        incident.id,
    )


@dataclass(frozen=True)
class MailedTerms:
    """What a mail about a fault quotes of its incident: the reference, the contract (its
    tier's name, and title as the incident's terms name it) and the response target."""

    reference: str
    tier: str
    title: str
    response_due_at: datetime | None


def terms_of(
    incident_id: int,
    opened_at: datetime,
    tier: str,
    response_due_at: datetime | None,
    policy: Mapping[str, Any] | None,
) -> MailedTerms:
    """The incident of these columns as its mail quotes it: what ``mailed_terms`` reads, for
    a caller that has just written or read them."""
    title = str((policy or {}).get("title") or tier)
    return MailedTerms(incident_reference(incident_id, opened_at), tier, title, response_due_at)


def incident_view(row: Any, policy: dict[str, Any] | None = None) -> IncidentView:
    """The incident of ``row``; ``policy``: its terms, when the caller decoded them.

    Read by key from the row's mapping: a row's attribute is found only after Python's own
    attribute lookup fails, which costs several times more, on the SLA sweep's every row."""
    return incident_view_of(row._mapping, policy)


def incident_view_of(
    value: Mapping[Any, Any], policy: dict[str, Any] | None = None
) -> IncidentView:
    """``incident_view`` of the row's columns by name."""
    return IncidentView(
        id=value["id"],
        fault_id=value["fault_id"],
        customer_id=value["customer_id"],
        customer_name=value["customer_name"],
        host_name=value["host_name"] or "",
        title=value["title"],
        tier=value["tier"],
        covered=value["covered"],
        severity=value["severity"],
        status=value["status"],
        opened_at=value["opened_at"],
        response_due_at=value["response_due_at"],
        closed_at=value["closed_at"],
        policy=(value["policy"] if policy is None else policy) or {},
        host_id=value["host_id"],
        responded_at=value["responded_at"],
        onsite_requested_at=value["onsite_requested_at"],
        on_site_at=value["on_site_at"],
        resolved_at=value["resolved_at"],
        sla_warned_at=value["sla_warned_at"],
        sla_breached_at=value["sla_breached_at"],
        engineer_acknowledged_at=value["engineer_acknowledged_at"],
        engineer_acknowledged_by=value["engineer_acknowledged_by"],
        check_key=value["check_key"],
        access_rule=value["host_access"] or value["customer_access"],
        access_granted_at=value["access_granted_at"],
        access_granted_by=value["access_granted_by"],
        customer_timezone=value["customer_timezone"],
        customer_region=value["customer_region"],
        failure_confirmed_at=value["failure_confirmed_at"],
        parts_dispatched_at=value["parts_dispatched_at"],
        parts_delivered_at=value["parts_delivered_at"],
        part_returned_at=value["part_returned_at"],
    )


def decoded_terms(text: str) -> dict[str, Any]:
    """An incident's terms from their stored JSON text. Every SLA recalculation reads every
    open covered incident, whose terms seldom change: each distinct text is decoded once. The
    copy is the caller's; the values inside are shared, and no reader changes them."""
    return dict(_decoded_terms(text))


@lru_cache(maxsize=4096)
def _decoded_terms(text: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(text)
    return decoded
