"""A contract change gives a customer's open incidents the new contract's terms.

An incident keeps the terms it opened under (``collector.engine.incident_terms``) through
everything people do to it; only a change of the contract itself (a new tier, a renewal, a
lapse) replaces them, with due times counted again from when it opened and the timeline saying
why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection

from collector.domain.sla import due_times
from collector.domain.stored_times import stored_utc
from collector.domain.tiers import Tier
from collector.engine.incident_clock import incident_pauses_for
from collector.engine.incident_terms import NOT_COVERED, policy_for
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.incident_view import IncidentView
from collector.store.incidents import SYSTEM_ACTOR


def recalculate_for_customer(
    conn: Connection,
    customer_id: str,
    now: datetime,
    reason: str,
    *,
    catalogue: Mapping[str, Tier],
) -> list[int]:
    """Give the customer's open incidents the terms of the contract in force at ``now``.

    Incidents already under that tier keep their terms. The others get the new tier's policy
    (frozen from ``catalogue``) and due times counted from when
    they opened, and an ``incident_events`` row saying why. Returns the incidents changed.
    """
    contract = inventory.current_contract(conn, customer_id, now)
    tier = catalogue.get(contract.tier) if contract else None
    changed = []
    for incident in incident_store.open_for_customer(conn, customer_id):
        if incident.tier == (tier.name if tier else NOT_COVERED):
            continue
        _apply_terms(conn, incident, tier, now, reason)
        changed.append(incident.id)
    return changed


def _apply_terms(
    conn: Connection, incident: IncidentView, tier: Tier | None, now: datetime, reason: str
) -> None:
    covered = tier is not None and tier.covered
    due = {}
    if tier is not None and covered:
        due = due_times(
            tier,
            incident.severity,
            incident.opened_at,
            pauses=incident_pauses_for(conn, incident, now),
            onsite_requested_at=incident.onsite_requested_at,
        )
    incident_store.set_terms(
        conn,
        incident.id,
        tier=tier.name if tier else NOT_COVERED,
        covered=covered,
        policy=policy_for(tier, incident.severity, incident.opened_at, due),
        response_due_at=due.get("first_response"),
    )
    new_tier = tier.name if tier else NOT_COVERED
    was = incident.response_due_at
    due_words = _utc(due.get("first_response")) + (f" (was {_utc(was)})" if was else "")
    detail = f"{reason}: tier {incident.tier} → {new_tier}; response due {due_words}"
    incident_store.record_event(conn, incident.id, now, "contract_changed", SYSTEM_ACTOR, detail)


def _utc(at: datetime | None) -> str:
    return stored_utc(at) if at else "none (not covered)"  # a page shows it in its reader's zone
