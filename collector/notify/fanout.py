"""Who is told what: every fault change becomes outbox rows in the caller's transaction.

Customers and the vendor's NOC hear about every fault, 24/7, whatever the contract tier
(seed 002); a host with no contract also tells the vendor's sales contact.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import format_local
from collector.notify import ack_links, messages, outbox
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.faults import FaultView, explained_by


def ack_url(config: CollectorConfig, fault_id: int, recipient: str, now: datetime) -> str:
    expires = now + timedelta(seconds=config.mail.ack_link_ttl_s)
    token = ack_links.make_token(config.secret_key, fault_id, recipient, expires)
    return f"{config.http.public_url.rstrip('/')}/ack/{token}"


def _queue(conn: Connection, mail: messages.Mail, fault: FaultView, now: datetime) -> None:
    outbox.enqueue(
        conn,
        kind=mail.kind,
        recipient=mail.recipient,
        subject=mail.subject,
        body=mail.body,
        now=now,
        fault_id=fault.id,
    )


def reference(conn: Connection, fault: FaultView) -> str | None:
    """The outage's reference, its incident's: every mail about the fault quotes it."""
    incident = incident_store.incident_for_fault(conn, fault.id)
    return incident.reference if incident is not None else None


def terms(conn: Connection, fault: FaultView, config: CollectorConfig) -> messages.Terms:
    """The vendor, the reference, the contract, its response target and the support numbers.

    The response target is shown on the tier calendar's clock: customers have no time zone of
    their own on record yet, and the tier's calendar is the clock their contract counts in."""
    vendor = config.mail.vendor_name
    explained = tuple(_explained_line(fault, other) for other in explained_by(conn, fault))
    incident = incident_store.incident_for_fault(conn, fault.id)
    if incident is None:
        return messages.Terms(vendor, explained=explained)
    tier = catalogue_for(config).get(incident.tier)
    due = None
    if incident.response_due_at is not None and tier is not None and tier.calendar is not None:
        zone = tier.calendar.zone
        due = f"{format_local(incident.response_due_at, tier.calendar)} {zone}"
    elif incident.response_due_at is not None:
        due = incident.response_due_at.strftime("%a %d %b %H:%M UTC")
    title = str(incident.policy.get("title") or incident.tier)
    phones = tier.support_phones if tier is not None else ()
    return messages.Terms(vendor, incident.reference, title, due, phones, explained)


def _explained_line(cause: FaultView, fault: FaultView) -> str:
    where = f" on {fault.host_name}" if cause.host_id is None else ""
    detail = f" ({fault.detail})" if fault.detail else ""
    return f"{fault.title}{where}{detail}"


def fault_opened(
    conn: Connection, fault: FaultView, config: CollectorConfig, now: datetime, *, covered: bool
) -> None:
    told = terms(conn, fault, config)
    for email in inventory.contact_emails(conn, fault.customer_id):
        url = ack_url(config, fault.id, email, now)
        _queue(conn, messages.fault_opened(fault, email, url, told), fault, now)
    _queue(conn, messages.fault_opened(fault, config.mail.noc, None, told), fault, now)
    if not covered:
        mail = messages.not_covered(fault, config.mail.sales, told.reference)
        _queue(conn, mail, fault, now)


def fault_reminder(
    conn: Connection, fault: FaultView, config: CollectorConfig, now: datetime
) -> None:
    told = terms(conn, fault, config)
    for email in inventory.contact_emails(conn, fault.customer_id):
        url = ack_url(config, fault.id, email, now)
        _queue(conn, messages.fault_reminder(fault, email, url, told), fault, now)
    _queue(conn, messages.fault_reminder(fault, config.mail.noc, None, told), fault, now)


def fault_resolved(
    conn: Connection, fault: FaultView, config: CollectorConfig, now: datetime
) -> None:
    recipients = [*inventory.contact_emails(conn, fault.customer_id), config.mail.noc]
    ref = reference(conn, fault)
    for email in recipients:
        _queue(conn, messages.fault_resolved(fault, email, now, ref), fault, now)


def fault_acknowledged(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    by: str,
    comment: str,
) -> None:
    mail = messages.fault_acknowledged(fault, config.mail.noc, by, comment, reference(conn, fault))
    _queue(conn, mail, fault, now)
