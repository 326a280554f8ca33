"""An outbox row as an email, built safely whatever the row holds.

Every header goes through the standard library's header registry under the SMTP policy: the
recipient must parse as exactly one address (``collector.domain.mailboxes``), the subject is
kept on one line (control characters escaped) and folded when long, so no value can end its
header and start another.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime
from urllib.parse import urlsplit

from collector.config.settings import DOMAIN_PATTERN
from collector.domain.control_characters import escape_control_characters
from collector.domain.mailboxes import one_mailbox
from collector.notify.outbox import OutgoingMessage

#: A host name as the right-hand side of a Message-ID may spell it (within RFC 5322's dot-atom).
DOMAIN = re.compile(DOMAIN_PATTERN)
#: When neither the configuration nor the public URL gives a usable domain (an IPv6 address).
FALLBACK_DOMAIN = "faultdesk.invalid"


class UnsendableMessage(ValueError):
    """The row cannot become an email (its recipient is not one address): sending the same
    row again cannot help."""


def message_id(row_id: int, created_at: datetime, domain: str) -> str:
    """The Message-ID of outbox row ``row_id``: the same on every attempt, so a copy sent again
    after a crash is recognisably the same message. The row's creation time keeps ids apart
    when a database is restored or started afresh and row ids come round again."""
    return f"<outbox-{row_id}.{int(created_at.timestamp())}@{domain}>"


def message_id_domain(configured: str | None, public_url: str) -> str:
    """The configured domain, else the host customers reach the collector at."""
    if configured:
        return configured
    host = urlsplit(public_url).hostname or ""
    return host if DOMAIN.match(host) else FALLBACK_DOMAIN


def to_email(
    message: OutgoingMessage,
    *,
    sender: str,
    domain: str,
    thread: tuple[int, datetime] | None = None,
) -> EmailMessage:
    """``sender`` is the configuration's From address, checked when the configuration loads.

    ``thread`` is the outbox row (id, created at) of the first mail to the same recipient about
    the same fault: a later mail (acknowledged, reminder, resolved) answers it, so a mail
    client shows the fault's mails as one conversation. ``Date`` is when the mail was written,
    the same on every attempt, like the Message-ID."""
    subject = escape_control_characters(message.subject)
    email = EmailMessage(policy=_policy_for(subject))
    email["From"] = one_mailbox(sender)
    email["To"] = recipient_address(message.recipient)
    email["Subject"] = subject
    email["Date"] = format_datetime(message.created_at.astimezone(UTC))
    email["Message-ID"] = message_id(message.id, message.created_at, domain)
    if thread is not None and thread[0] != message.id:
        first = message_id(thread[0], thread[1], domain)
        email["In-Reply-To"] = first
        email["References"] = first
    email.set_content(message.body)
    if message.html is not None:  # multipart/alternative: the plain text first, as clients expect
        email.add_alternative(message.html, subtype="html")
    return email


#: A subject this much longer than a 78-character line stays on one line: folded, the standard
#: library would move it whole onto the next line, and readers would see it start with a space.
_UNFOLDED_SUBJECT = len("Subject: ") + 78


def _policy_for(subject: str) -> Policy:
    line = len("Subject: ") + len(subject)
    if SMTP.max_line_length is not None and SMTP.max_line_length < line <= _UNFOLDED_SUBJECT:
        return SMTP.clone(max_line_length=line)
    return SMTP


def recipient_address(text: str) -> Address:
    """``text`` as exactly one address, or UnsendableMessage saying why not."""
    try:
        return one_mailbox(text)
    except ValueError as exc:
        reason = f"recipient {text!r} is not one email address: {exc}"
        raise UnsendableMessage(escape_control_characters(reason)) from None
