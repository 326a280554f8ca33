"""Who is told what: every fault change becomes outbox rows in the caller's transaction.

Customers and the vendor's NOC hear about every fault, 24/7, whatever the contract tier
(seed 002); a host with no contract also tells the vendor's sales contact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.notify import ack_links, messages, outbox
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.fault_causes import explained_by
from collector.store.faults import FaultView


def ack_url(config: CollectorConfig, fault_id: int, recipient: str, now: datetime) -> str:
    expires = now + timedelta(seconds=config.mail.ack_link_ttl_s)
    token = ack_links.make_token(config.secret_key, fault_id, recipient, expires)
    return f"{config.http.public_url.rstrip('/')}/ack/{token}"


@dataclass(frozen=True)
class Audience:
    """Whom a customer's fault mail goes to and the zone it is written in: its contacts'
    emails, in the order given, and its own zone (None: its contract's clock)."""

    emails: tuple[str, ...]
    zone: str | None


def audience(conn: Connection, customer_id: str) -> Audience:
    """The customer's audience as it stands (the fault writer's mail has it from the fault's
    save: ``collector.store.fault_mail``)."""
    zone, emails = inventory.zone_and_contacts(conn, customer_id)
    return Audience(tuple(emails), zone)


def _queue(
    conn: Connection, mails: Sequence[messages.Mail], fault: FaultView, now: datetime
) -> None:
    """Every recipient's copy of one change, in one statement."""
    outbox.enqueue_many(conn, mails, now=now, fault_id=fault.id)


def terms(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    told: Audience | None = None,
    explains: Sequence[FaultView] | None = None,
) -> messages.Terms:
    """What the customer's contacts read: the vendor, the reference, the contract, its response
    target and the support numbers, in the customer's own zone (else their contract's clock).
    ``told`` is the customer's audience and ``explains`` the open faults the fault explains,
    when the caller has read them already."""
    if explains is None:
        explains = explained_by(conn, fault)
    told = told or audience(conn, fault.customer_id)
    return terms_of(fault, config, told, explains, incident_store.mailed_terms(conn, fault.id))


def terms_of(
    fault: FaultView,
    config: CollectorConfig,
    told: Audience,
    explains: Sequence[FaultView],
    incident: incident_store.MailedTerms | None,
) -> messages.Terms:
    """``terms`` from what the caller has read or written already: the customer's audience,
    the open faults the fault explains and its incident's terms (None: it has no incident)."""
    vendor = config.mail.vendor_name
    explained = tuple(_explained_line(fault, other) for other in explains)
    own_zone = told.zone
    if incident is None:
        return messages.Terms(vendor, explained=explained, zone=_zone(own_zone, None))
    tier = catalogue_for(config).get(incident.tier)
    calendar = tier.calendar if tier is not None else None
    zone = _zone(own_zone, calendar.zone if calendar is not None else None)
    phones = tier.support_phones if tier is not None else ()
    due = incident.response_due_at
    return messages.Terms(vendor, incident.reference, incident.title, due, phones, explained, zone)


def for_vendor(told: messages.Terms, config: CollectorConfig) -> messages.Terms:
    """The same terms as the vendor's own people (NOC, sales) read them: in the vendor's zone,
    the one its dashboard shows."""
    return replace(told, zone=ZoneInfo(config.dashboard.timezone), for_vendor=True)


def _zone(*names: str | None) -> tzinfo:
    """The first of ``names`` that is a known zone; UTC when none is."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def _explained_line(cause: FaultView, fault: FaultView) -> str:
    """``Port 5038 is not listening``; under a site fault, which host: ``… on pbx1``."""
    where = f" on {fault.host_name}" if cause.host_id is None else ""
    return f"{messages.sentence_of(fault)}{where}"


Letter = Callable[[str, str | None, messages.Terms], messages.Mail]


def _contacts_then_noc(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    told: Audience | None,
    said: messages.Terms | None,
    letter: Letter,
    *,
    links: bool = True,
) -> tuple[list[messages.Mail], messages.Terms]:
    """A copy of ``letter`` (to, ack link, terms) for each of the customer's contacts, each
    with their own ack link when ``links``, then the NOC's, in the vendor's zone and without
    one; and the terms as the vendor reads them. ``told`` and ``said`` as ``fault_opened``."""
    told = told or audience(conn, fault.customer_id)
    said = terms(conn, fault, config, told) if said is None else said
    mails = [
        letter(email, ack_url(config, fault.id, email, now) if links else None, said)
        for email in told.emails
    ]
    noc = for_vendor(said, config)
    mails.append(letter(config.mail.noc, None, noc))
    return mails, noc


def fault_opened(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    *,
    covered: bool,
    told: Audience | None = None,
    said: messages.Terms | None = None,
) -> None:
    """The fault's opening to the customer's contacts and the NOC, and to sales when no
    contract covers it. ``told``: the customer's audience, and ``said`` what the mail says of
    the terms (``terms_of``), when the caller has them already."""

    def letter(to: str, link: str | None, said: messages.Terms) -> messages.Mail:
        return messages.fault_opened(fault, to, link, said)

    mails, noc = _contacts_then_noc(conn, fault, config, now, told, said, letter)
    if not covered:
        mails.append(messages.not_covered(fault, config.mail.sales, noc))
    _queue(conn, mails, fault, now)


def fault_reminder(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    told: Audience | None = None,
    said: messages.Terms | None = None,
) -> None:
    def letter(to: str, link: str | None, said: messages.Terms) -> messages.Mail:
        return messages.fault_reminder(fault, to, link, said)

    mails, _ = _contacts_then_noc(conn, fault, config, now, told, said, letter)
    _queue(conn, mails, fault, now)


def fault_resolved(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    told: Audience | None = None,
    said: messages.Terms | None = None,
) -> None:
    def letter(to: str, _link: str | None, said: messages.Terms) -> messages.Mail:
        return messages.fault_resolved(fault, to, now, said)

    mails, _ = _contacts_then_noc(conn, fault, config, now, told, said, letter, links=False)
    _queue(conn, mails, fault, now)


def fault_acknowledged(
    conn: Connection,
    fault: FaultView,
    config: CollectorConfig,
    now: datetime,
    by: str,
    comment: str,
) -> None:
    noc = for_vendor(terms(conn, fault, config), config)
    _queue(
        conn, [messages.fault_acknowledged(fault, config.mail.noc, by, comment, noc)], fault, now
    )
