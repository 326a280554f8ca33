"""Customers, hosts, faults and incidents opened the way the fault writer opens them."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import Connection, update

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.domain.tiers import Tier
from collector.engine.incident_opening import IncidentOpener
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.schema import faults


class _Opener(IncidentOpener):
    """The real opener, reading the catalogue once per test run rather than once per fault."""

    @cached_property
    def catalogue(self) -> dict[str, Tier]:
        return dict(catalogue_for(self._config))


def add_customer(
    conn: Connection, customer_id: str, tier: str | None, at: datetime, *, host: str | None = None
) -> str:
    """A customer with a year's contract on ``tier`` (None: no contract) and one host."""
    inventory.add_customer(conn, customer_id, f"{customer_id.title()} Ltd", at)
    inventory.set_contacts(conn, customer_id, [("Jo", f"jo@{customer_id}.example")])
    if tier is not None:
        start = at - timedelta(days=30)
        inventory.add_contract(conn, customer_id, tier, start, start + timedelta(days=365))
    host_id = host or f"{customer_id}-pbx"
    inventory.add_host(conn, host_id, customer_id, at, name="pbx1")
    return host_id


def open_incident(
    conn: Connection,
    config: CollectorConfig,
    host_id: str,
    at: datetime,
    *,
    check_key: str = "disk:/",
    severity: str = "major",
) -> int:
    """Open a fault on the host and its incident under the contract in force; the incident id."""
    fault_id = fault_store.open_fault(
        conn,
        host_id=host_id,
        check_key=check_key,
        severity=severity,
        title="Disk space /",
        detail="96% used",
        at=at,
    )
    customer_id = inventory.get_host(conn, host_id).customer_id
    state = FaultState(FaultKey(customer_id, host_id, check_key), Severity(severity), at)
    _Opener(config).open(conn, fault_id, state, at)
    incident = incident_store.incident_for_fault(conn, fault_id)
    assert incident is not None
    return incident.id


def lose_access(
    conn: Connection, host_id: str, start: datetime, end: datetime | None, check: str = "ssh"
) -> int:
    """A remote check's fault on the host from ``start`` to ``end`` (None: still lost)."""
    return _fault(conn, host_id, f"remote.{check}", start, end)


def silence_agent(conn: Connection, host_id: str, fault_at: datetime, end: datetime | None) -> int:
    """The host's heartbeat fault, opened at ``fault_at`` (the agent fell silent its missed
    intervals before) and cleared at ``end`` (None: still silent)."""
    return _fault(conn, host_id, "agent.heartbeat", fault_at, end)


def _fault(
    conn: Connection, host_id: str, check_key: str, start: datetime, end: datetime | None
) -> int:
    fault_id = fault_store.open_fault(
        conn,
        host_id=host_id,
        check_key=check_key,
        severity="critical",
        title=check_key,
        detail="",
        at=start,
    )
    if end is not None:
        conn.execute(update(faults).where(faults.c.id == fault_id).values(resolved_at=end))
    return fault_id


def stored_incident(
    conn: Connection,
    host_id: str,
    customer_id: str,
    at: datetime,
    *,
    check_key: str,
    severity: str,
    title: str,
    detail: str = "",
    response_due_at: datetime | None = None,
) -> tuple[int, int]:
    """A fault and its covered cat2 incident written straight to the store, as pages read them
    (no opener, no mail): the fault's id and the incident's."""
    fault_id = fault_store.open_fault(
        conn,
        host_id=host_id,
        check_key=check_key,
        severity=severity,
        title=title,
        detail=detail,
        at=at,
    )
    incident_id = incident_store.open_incident(
        conn,
        fault_id=fault_id,
        customer_id=customer_id,
        tier="cat2",
        covered=True,
        severity=severity,
        opened_at=at,
        response_due_at=response_due_at,
        policy={},
    )
    return fault_id, incident_id
