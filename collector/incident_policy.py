"""Opening an incident for a new fault under the customer's contract in force.

The tier's promise is computed when the incident opens and copied onto it, so later edits
to the catalogue never move a response time already promised. With no contract in force
the incident says "not covered" and carries no target (seed 000: such requests go to sales).
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection

from collector.config import CollectorConfig
from collector.domain.faults import FaultState
from collector.domain.sla import due_times
from collector.domain.tiers import Tier
from collector.incident_terms import policy_for
from collector.store import incidents, inventory
from collector.tiers_catalogue import default_catalogue_path, load_catalogue

NOT_COVERED = "none"


class IncidentOpener:
    def __init__(self, config: CollectorConfig) -> None:
        self._config = config

    @cached_property
    def catalogue(self) -> dict[str, Tier]:
        return load_catalogue(self._config.tiers_file or default_catalogue_path())

    def tier_for(self, conn: Connection, customer_id: str, at: datetime) -> Tier | None:
        """The tier of the contract in force at ``at``, or None when there is none."""
        contract = inventory.current_contract(conn, customer_id, at)
        if contract is None:
            return None
        return self.catalogue.get(contract.tier)

    def open(self, conn: Connection, fault_id: int, fault: FaultState) -> bool:
        """Open the fault's incident; returns whether the customer is covered."""
        tier = self.tier_for(conn, fault.key.customer_id, fault.opened_at)
        covered = tier is not None and tier.covered
        due = due_times(tier, fault.severity.value, fault.opened_at) if tier and covered else {}
        incidents.open_incident(
            conn,
            fault_id=fault_id,
            customer_id=fault.key.customer_id,
            tier=tier.name if tier else NOT_COVERED,
            covered=covered,
            severity=fault.severity.value,
            opened_at=fault.opened_at,
            response_due_at=due.get("first_response"),
            policy=_policy(tier, fault, due),
        )
        return covered


def _policy(tier: Tier | None, fault: FaultState, due: dict[str, datetime]) -> dict[str, Any]:
    # The terms, with each target's calendar, frozen onto the incident: see incident_terms.
    return policy_for(tier, fault.severity.value, fault.opened_at, due)
