"""One email address as a mail header carries it: ``jo@acme.example``, ``Jo <jo@acme.example>``."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP


def one_mailbox(text: str) -> Address:
    """``text`` parsed by the standard library's header registry as exactly one address, or
    ValueError saying why not (a line break, a list, a missing domain, a parse defect)."""
    holder = EmailMessage(policy=SMTP)
    try:
        holder["To"] = text
    except ValueError as exc:  # the policy refuses CR and LF in a header value
        raise ValueError(str(exc)) from None
    header = holder["To"]
    if header.defects:
        raise ValueError(str(header.defects[0]))
    if len(header.addresses) != 1:
        raise ValueError(f"{len(header.addresses)} addresses where one is needed")
    address: Address = header.addresses[0]
    if not address.domain:
        raise ValueError("no domain after the @")
    return address
