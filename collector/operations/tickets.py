"""What customer users do, and the vendor's side of the conversation: acknowledging a fault,
logging one monitoring cannot see, commenting on a ticket. One transaction each, each in the
audit log, each comment mailed to the other side."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.faults import CUSTOMER_REPORT, FaultKey, FaultState
from collector.domain.policy import Severity
from collector.engine.incident_opening import IncidentOpener
from collector.notify import fanout, ticket_messages
from collector.operations.acknowledge import acknowledge_fault
from collector.operations.customer_scope import fault, host, ticket
from collector.operations.fields import Name, StrictInput, Text
from collector.operations.signin import Account
from collector.store import audit, customer_users, inventory
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.incident_view import IncidentView

#: What the customer says about urgency, as the fault severity the contract's targets key on.
URGENCY = {"high": Severity.CRITICAL, "normal": Severity.MAJOR, "low": Severity.MINOR}


class NotTheirs(LookupError):
    """No such object for this customer: the same 404 whether it is another's or none."""


class NewTicket(StrictInput):
    title: Name = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=10_000)
    host_id: str | None = Field(None, max_length=128)
    urgency: Literal["high", "normal", "low"] = "normal"


class NewComment(StrictInput):
    text: Text = Field(min_length=1, max_length=10_000)
    #: Operators choose; a customer's comment is always public.
    public: StrictBool = False


def acknowledge(
    conn: Connection,
    who: Account,
    fault_id: int,
    comment: str,
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> bool:
    assert who.customer_id is not None
    if fault(conn, who.customer_id, fault_id) is None:
        raise NotTheirs(f"no fault #{fault_id}")
    done = acknowledge_fault(
        conn, fault_id, by=who.name, comment=comment, address=address, now=now, config=config
    )
    if done:
        audit.record(
            conn,
            at=now,
            actor=who.actor,
            action="fault.acknowledged",
            target=f"fault:{fault_id}",
            customer_id=who.customer_id,
            address=address,
            detail={"comment": comment},
        )
    return done


def log_fault(
    conn: Connection,
    who: Account,
    body: NewTicket,
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> int:
    """A fault the customer saw, as a fault and its incident under their contract: the same
    SLA clock as any fault, mailed to the NOC and the customer's contacts. Returns the
    incident's id."""
    customer_id = who.customer_id
    assert customer_id is not None
    if body.host_id is not None and host(conn, customer_id, body.host_id) is None:
        raise NotTheirs(f"no host {body.host_id!r}")
    severity = URGENCY[body.urgency]
    key = FaultKey(customer_id, body.host_id, f"{CUSTOMER_REPORT}:{secrets.token_hex(6)}")
    state = FaultState(
        key,
        severity,
        now,
        detail=body.description,
        notified_severity=severity,
        last_notified_at=now,
    )
    fault_id = fault_store.save_state(conn, None, state, body.title, now)
    fault_store.record_event(conn, fault_id, now, "opened", f"reported by {who.name}")
    covered = IncidentOpener(config).open(conn, fault_id, state, now)
    view = fault_store.get_fault(conn, fault_id)
    assert view is not None
    fanout.fault_opened(conn, view, config, now, covered=covered)
    incident = incident_store.incident_for_fault(conn, fault_id)
    assert incident is not None
    words = f"reported by {who.name}: {body.description}" if body.description else ""
    incident_store.record_event(
        conn, incident.id, now, "reported", who.name, words or body.title, public=True
    )
    audit.record(
        conn,
        at=now,
        actor=who.actor,
        action="ticket.logged",
        target=f"incident:{incident.id}",
        customer_id=customer_id,
        address=address,
        detail={"title": body.title, "host": body.host_id, "urgency": body.urgency},
    )
    return incident.id


def _customer_recipients(conn: Connection, customer_id: str) -> list[str]:
    people = inventory.contact_emails(conn, customer_id)
    people += [u.email for u in customer_users.list_users(conn, customer_id) if u.has_password]
    return list(dict.fromkeys(p.lower() for p in people))


def comment(
    conn: Connection,
    who: Account,
    incident_id: int,
    body: NewComment,
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> IncidentView:
    """A comment on a ticket. A customer's is public and mailed to the NOC; an operator's is
    internal unless marked public, and a public one is mailed to the customer."""
    if who.customer_id is not None:
        incident = ticket(conn, who.customer_id, incident_id)
        public = True
    else:
        incident = incident_store.get_incident(conn, incident_id)
        public = body.public
    if incident is None:
        raise NotTheirs(f"no ticket #{incident_id}")
    kind = "comment" if public else "note"
    incident_store.record_event(conn, incident.id, now, kind, who.name, body.text, public=public)
    if who.customer_id is not None:
        ticket_messages.customer_commented(
            conn,
            config,
            incident_id=incident.id,
            reference=incident.reference,
            fault_id=incident.fault_id,
            customer_name=incident.customer_name,
            title=incident.title,
            author=who.name,
            text=body.text,
            now=now,
        )
    elif public:
        ticket_messages.vendor_replied(
            conn,
            config,
            incident_id=incident.id,
            reference=incident.reference,
            fault_id=incident.fault_id,
            title=incident.title,
            author=who.name,
            text=body.text,
            recipients=_customer_recipients(conn, incident.customer_id),
            now=now,
        )
    audit.record(
        conn,
        at=now,
        actor=who.actor,
        action="ticket.comment" if public else "ticket.note",
        target=f"incident:{incident.id}",
        customer_id=incident.customer_id,
        address=address,
        detail={"public": public, "length": len(body.text)},
    )
    return incident
