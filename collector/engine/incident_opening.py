"""Opening a fault's incident under the customer's contract in force.

An incident opens when the fault's opening is first mailed, not when the fault row opens: a
fault that another explains (each host of a site that is down) or that maintenance holds asks
nothing of anyone while its mail is held, and one that clears unannounced never gets an
incident. One outage is one incident in the operators' queue, and one SLA clock.

The tier's promise is computed when the incident opens and copied onto it, so later edits
to the catalogue never move a response time already promised. With no contract in force
the incident says "not covered" and carries no target (seed 000: such requests go to sales).
Equipment the tier excludes (seed 002: handsets on CatS, Cat1, Cat2 and Cat4) opens its
incident not covered too, under the tier, saying why; the contract stands, so sales are not told.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import Catalogue, catalogue_for
from collector.domain.announcements import tier_with_announcements
from collector.domain.faults import FaultState
from collector.domain.sla import due_times
from collector.engine.incident_severity import outage_severity
from collector.engine.incident_terms import policy_for
from collector.store import announcements, incidents, inventory
from collector.store.faults import FaultView

NOT_COVERED = "none"


class IncidentOpener:
    def __init__(self, config: CollectorConfig) -> None:
        self._config = config

    @property
    def catalogue(self) -> Catalogue:
        return catalogue_for(self._config)

    def open(
        self,
        conn: Connection,
        fault_id: int,
        fault: FaultState,
        at: datetime,
        explained: Sequence[FaultView] | None = None,
    ) -> bool:
        """Open the fault's incident at ``at``, the moment its opening is mailed; returns
        whether the customer is covered. ``explained``: the open faults it explains, when the
        caller has read them already.

        Most faults are mailed as they open (``at`` is ``fault.opened_at``). One held back is
        mailed when the hold lifts with it still open, and its response clock starts then, under
        the contract in force then: that is when the vendor is told and first asked to act, so a
        target counted from the fault's opening would be half spent (or breached) before anyone
        could respond.
        """
        existing = incidents.covered_for_fault(conn, fault_id)
        if existing is not None:  # the fault has its incident already: one per fault
            return existing
        contract = inventory.current_contract(conn, fault.key.customer_id, at)
        contract_tier = None if contract is None else contract.tier
        return self.open_new(conn, fault_id, fault, at, contract_tier, explained)[0]

    def open_new(
        self,
        conn: Connection,
        fault_id: int,
        fault: FaultState,
        at: datetime,
        contract_tier: str | None,
        explained: Sequence[FaultView] | None = None,
    ) -> tuple[bool, incidents.MailedTerms]:
        """``open`` for a fault the caller knows has no incident yet, under ``contract_tier``:
        the tier of the customer's contract in force at ``at`` (None: none is), as the caller
        read it. Returns also the terms its mail quotes of the incident, as written."""
        # One incident per outage: as severe as the worst fault it explains.
        severity = outage_severity(conn, fault_id, fault.severity, explained).value
        tier = None if contract_tier is None else self.catalogue.get(contract_tier)
        contract = tier is not None and tier.covered
        excluded = tier.entitlement.excludes(fault.key.check_key) if tier and contract else None
        covered = contract and excluded is None
        due = {}
        if tier is not None and covered:
            announced = tier_with_announcements(tier, announcements.live(conn))
            due = due_times(announced, severity, at)
        policy = policy_for(tier, severity, at, due)
        if excluded is not None:
            policy.update(excluded=excluded, definition={}, pages_on_call=False)
        tier_name = tier.name if tier else NOT_COVERED
        response_due = due.get("first_response")
        incident_id = incidents.open_incident(
            conn,
            fault_id=fault_id,
            customer_id=fault.key.customer_id,
            tier=tier_name,
            covered=covered,
            severity=severity,
            opened_at=at,
            response_due_at=response_due,
            # The terms, with each target's calendar, frozen onto the incident: incident_terms.
            policy=policy,
        )
        # As the store hands them back: in UTC.
        stored_due = None if response_due is None else response_due.astimezone(UTC)
        terms = incidents.terms_of(incident_id, at.astimezone(UTC), tier_name, stored_due, policy)
        return contract, terms
