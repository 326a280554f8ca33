"""Paging the on-call engineer: decide (``collector.domain.escalation``), record, send.

``sweep_paging`` runs in one transaction: for each open incident whose tier pages and that no
engineer has taken, it asks the domain for the next page and writes it as a ``pages`` row —
with, for an email-to-SMS pager, its message in the outbox (delivered by the outbox sender, with
its retries), or for a webhook pager, ``pending`` for ``collector.jobs.webhook_pages`` to POST.

The escalation chain is the rota as it stood when the incident opened: a handover during an
incident leaves it with the engineer who was paged for it.

``sweep_paging_ahead`` is the same sweep that also says when the next page could come with no
new fact (``next_page_at``): the simulated clock sweeps then instead of every minute.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import Catalogue, catalogue_for
from collector.domain.escalation import (
    IncidentFacts,
    PageAction,
    PageKind,
    PageSent,
    PagingPolicy,
    next_page,
    next_page_at,
)
from collector.domain.faults import MAINTENANCE, hold_reason
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.oncall import OnCallRota
from collector.engine.incident_terms import calendar_from_json
from collector.notify import outbox
from collector.notify.page_links import make_page_token
from collector.notify.page_messages import page_body, page_subject
from collector.store import maintenance as maintenance_store
from collector.store import pages as page_store
from collector.store.pages import PagingIncident

log = logging.getLogger(__name__)

_TIMINGS = ("page_response", "repage_after", "escalate_after")
#: How far ahead the staffed line's close is looked for: a line open longer is looked at again.
_STAFFED_HORIZON = timedelta(days=8)


def paging_policy(incident: PagingIncident, catalogue: Catalogue) -> PagingPolicy:
    """Whether the incident pages (fixed when it opened) and the timings: frozen on the incident
    too when its policy carries an ``escalation`` entry, else the tier's in the catalogue."""
    frozen = incident.policy.get("escalation")
    if isinstance(frozen, Mapping):
        return PagingPolicy(
            incident.pages_on_call,
            *(_seconds(frozen.get(f"{name}_s")) for name in _TIMINGS),
        )
    tier = catalogue.get(incident.tier)
    if tier is None:  # a tier since removed from the catalogue: page, but only once
        log.warning("incident #%d: tier %r is not in the catalogue", incident.id, incident.tier)
        return PagingPolicy(pages=incident.pages_on_call)
    esc = tier.escalation
    return PagingPolicy(
        incident.pages_on_call, esc.page_response, esc.repage_after, esc.escalate_after
    )


def _seconds(value: object) -> timedelta | None:
    return timedelta(seconds=float(value)) if isinstance(value, int | float) else None


def facts_of(
    incident: PagingIncident, now: datetime, windows: Sequence[MaintenanceWindow]
) -> IncidentFacts:
    """The domain's facts about ``incident`` at ``now``, with the maintenance windows in force."""
    return IncidentFacts(
        opened_at=incident.opened_at,
        engineer_acknowledged_at=incident.engineer_acknowledged_at,
        responded_at=incident.responded_at,
        ended_at=incident.ended_at,
        customer_acknowledged_at=incident.customer_acknowledged_at,
        held=hold_reason(incident.fault, now, windows),
        desk_staffed=desk_staffed(incident, now),
    )


def desk_staffed(incident: PagingIncident, now: datetime) -> bool:
    """Whether the staffed line of a tier that pages only outside it is open at ``now``."""
    hours = incident.policy.get("staffed_hours")
    return isinstance(hours, Mapping) and calendar_from_json(hours).is_open(now)


def desk_closes_at(incident: PagingIncident, now: datetime) -> datetime | None:
    """When the staffed line open at ``now`` next closes (within ``_STAFFED_HORIZON``, else its
    end); None if it never closes."""
    hours = incident.policy.get("staffed_hours")
    if not isinstance(hours, Mapping):
        return None
    calendar = calendar_from_json(hours)
    if calendar.is_always_open:
        return None
    open_now = calendar.working_intervals_between(now, now + _STAFFED_HORIZON)
    return open_now[0].end if open_now and open_now[0].start <= now else now


def hold_lifts_at(
    incident: PagingIncident, held: str | None, now: datetime, windows: Sequence[MaintenanceWindow]
) -> datetime | None:
    """When the hold on ``incident`` lifts by itself: for maintenance, when the first of the
    windows in force over its fault ends (another may still hold it then: it is looked at
    again). None for a suppression, which lifts only when the fault explaining it recovers."""
    if held != MAINTENANCE:
        return None
    key = incident.fault.key
    ends = []
    for window in windows:
        span = window.occurrence_at(now) if window.covers(key.host_id, key.customer_id) else None
        if span is not None:
            ended = window.ended_at
            ends.append(span[1] if ended is None else min(span[1], ended))
    return min(ends, default=None)


def ack_url(config: CollectorConfig, incident_id: int, person: str, now: datetime) -> str:
    expires = now + timedelta(seconds=config.oncall.page_link_ttl_s)
    token = make_page_token(config.secret_key, incident_id, person, expires)
    return f"{config.http.public_url.rstrip('/')}/page-ack/{token}"


@dataclass
class PagingSweep:
    """What one paging sweep wrote, and when the next could page with no new fact (None:
    not before one comes)."""

    written: int = 0
    next_at: datetime | None = None

    def wait_for(self, at: datetime | None) -> None:
        if at is not None and (self.next_at is None or at < self.next_at):
            self.next_at = at


def sweep_paging(
    conn: Connection, config: CollectorConfig, now: datetime, catalogue: Catalogue | None = None
) -> int:
    """Write every page due now; returns how many."""
    return sweep_paging_ahead(conn, config, now, catalogue).written


def sweep_paging_ahead(
    conn: Connection, config: CollectorConfig, now: datetime, catalogue: Catalogue | None = None
) -> PagingSweep:
    """Write every page due now; how many, and when the next page could come."""
    swept = PagingSweep()
    waiting = page_store.awaiting_engineer(conn)
    if not waiting:
        return swept
    rota = config.oncall.rota()
    if rota.rotation is None:
        ids = ", ".join(f"#{incident.id}" for incident in waiting)
        log.warning("incidents %s should page on-call but oncall.rotation is not set", ids)
        return swept
    catalogue = catalogue if catalogue is not None else catalogue_for(config)
    windows = maintenance_store.active_windows(conn)
    # Read before any is written: a page recorded for one incident is none of another's.
    sent_pages = page_store.pages_by_incident(conn, [incident.id for incident in waiting])
    for incident in waiting:
        policy = paging_policy(incident, catalogue)
        sent = [PageSent(row.at, PageKind(row.kind), row.person) for row in sent_pages[incident.id]]
        chain = [person.name for person in rota.escalation_chain(incident.opened_at)]
        facts = facts_of(incident, now, windows)
        action = next_page(policy, facts, chain, sent, now)
        if action is not None:
            _send(conn, config, rota, incident, policy, action, now)
            swept.written += 1
            sent.append(PageSent(now, action.kind, action.person))
        closes = desk_closes_at(incident, now) if facts.desk_staffed and not sent else None
        lifts = hold_lifts_at(incident, facts.held, now, windows)
        swept.wait_for(
            next_page_at(
                policy, facts, chain, sent, now, desk_closes_at=closes, hold_lifts_at=lifts
            )
        )
    return swept


def _send(
    conn: Connection,
    config: CollectorConfig,
    rota: OnCallRota,
    incident: PagingIncident,
    policy: PagingPolicy,
    action: PageAction,
    now: datetime,
) -> None:
    person = rota.people[action.person]
    pager = person.pager
    email = pager.kind == "email"
    page_store.record_page(
        conn,
        incident_id=incident.id,
        at=now,
        kind=action.kind.value,
        person=person.name,
        target=pager.target,
        # An email page is "sent" once it is in the durable outbox; delivery is the outbox's.
        status="sent" if email else "pending",
    )
    if email:
        outbox.enqueue(
            conn,
            kind="page",
            recipient=pager.address,
            subject=page_subject(incident, action),
            body=page_body(
                incident, action, person, policy, ack_url(config, incident.id, person.name, now)
            ),
            now=now,
            fault_id=incident.fault_id,
        )
    log.info("incident #%d: %s %s via %s", incident.id, action.kind, person.name, pager.kind)
