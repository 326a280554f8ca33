"""Things people do to faults, each one transaction: the change and the mail it causes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.notify import fanout
from collector.operations.fields import StrictInput, Text
from collector.store import audit
from collector.store import faults as fault_store
from collector.store import incidents as incident_store


class FaultNotFound(LookupError):
    pass


class Acknowledgement(StrictInput):
    comment: Text = Field("", max_length=2000)


def acknowledge_fault(
    conn: Connection,
    fault_id: int,
    *,
    by: str,
    comment: str,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> bool:
    """Acknowledge and tell the vendor who did; False if it was acknowledged already.

    Acknowledging stops reminder mail; it does not resolve the fault.
    """
    fault = fault_store.get_fault(conn, fault_id)
    if fault is None:
        raise FaultNotFound(f"no fault #{fault_id}")
    if not fault_store.acknowledge(conn, fault_id, by=by, comment=comment, address=address, at=now):
        return False
    incident = incident_store.incident_for_fault(conn, fault_id)
    if incident is not None:  # one outage, one story: the ack is on the incident's timeline too
        detail = f"fault acknowledged: {comment}" if comment else "fault acknowledged"
        incident_store.record_event(conn, incident.id, now, "acknowledged", by, detail)
    fanout.fault_acknowledged(conn, fault, config, now, by, comment)
    return True


def acknowledge_from_link(
    conn: Connection,
    fault_id: int,
    *,
    by: str,
    comment: str,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> bool:
    """Acknowledge as the recipient of a mailed link, recorded in the audit log."""
    done = acknowledge_fault(
        conn, fault_id, by=by, comment=comment, address=address, now=now, config=config
    )
    if done:
        fault = fault_store.get_fault(conn, fault_id)
        audit.record(
            conn,
            at=now,
            actor=f"link:{by}",
            action="fault.acknowledged",
            target=f"fault:{fault_id}",
            customer_id=fault.customer_id if fault else None,
            address=address,
            detail={"comment": comment},
        )
    return done
