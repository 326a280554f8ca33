"""Mail about a ticket's conversation: each comment goes to the other side.

A customer's comment goes to the vendor's NOC; a vendor's public reply goes to the customer's
contacts and portal users. Internal notes are never mailed to the customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.notify.outbox import enqueue


def portal_ticket_url(config: CollectorConfig, incident_id: int) -> str:
    return f"{config.http.public_url.rstrip('/')}/portal/tickets/{incident_id}"


def customer_commented(
    conn: Connection,
    config: CollectorConfig,
    *,
    incident_id: int,
    reference: str,
    fault_id: int,
    customer_name: str,
    title: str,
    author: str,
    text: str,
    now: datetime,
) -> None:
    body = (
        f"{author} ({customer_name}) commented on ticket {reference}, {title}:\n\n"
        f"{text}\n\n"
        f"{config.http.public_url.rstrip('/')}/incidents/{incident_id}\n"
    )
    enqueue(
        conn,
        kind="ticket_comment",
        recipient=config.mail.noc,
        subject=f"[{reference}] {customer_name}: comment on {title}",
        body=body,
        now=now,
        fault_id=fault_id,
    )


def vendor_replied(
    conn: Connection,
    config: CollectorConfig,
    *,
    incident_id: int,
    reference: str,
    fault_id: int,
    title: str,
    author: str,
    text: str,
    recipients: Iterable[str],
    now: datetime,
) -> None:
    body = (
        f"{author} replied on your ticket {reference}, {title}:\n\n"
        f"{text}\n\n"
        f"Read the ticket and answer in the portal: {portal_ticket_url(config, incident_id)}\n"
    )
    for recipient in recipients:
        enqueue(
            conn,
            kind="ticket_reply",
            recipient=recipient,
            subject=f"[{reference}] Reply on your ticket: {title}",
            body=body,
            now=now,
            fault_id=fault_id,
        )
