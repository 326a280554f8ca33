"""What the emails say. Subjects are built to be triaged from a phone's lock screen:
severity first, then customer, host and what is wrong.

Names and details an agent reported are shown with control characters escaped: one line each,
so none can split a header or forge a line of the facts below it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.domain.control_characters import escape_control_characters as one_line
from collector.store.faults import FaultView


@dataclass(frozen=True)
class Mail:
    kind: str
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True)
class Terms:
    """What a customer needs to act on a fault: who is telling them, the reference to quote,
    the contract and its response target (on the customer's clock), and whom to call."""

    vendor: str = "Faultdesk"
    reference: str | None = None
    tier: str | None = None
    response_due: str | None = None  # e.g. "Mon 2 Nov 14:00 Europe/London"
    phones: tuple[str, ...] = ()
    #: What else the outage explains, one line each: not mailed separately.
    explained: tuple[str, ...] = ()


#: A detail longer than this stays in the body: a lock screen shows about one line.
SUBJECT_DETAIL_MAX = 48


def subject(fault: FaultView, state: str | None = None, reference: str | None = None) -> str:
    """``CRITICAL: Acme / pbx1: Disk space / (97% full) [INC-2026-0042]``: the reference last,
    where a lock screen cuts, and the same in every mail about the outage."""
    label = state or fault.severity.upper()
    text = f"{label}: {fault.customer_name} / {_where(fault)}: {fault.title}"
    if fault.detail and len(fault.detail) <= SUBJECT_DETAIL_MAX:
        text += f" ({fault.detail})"
    if reference:
        text += f" [{reference}]"
    return one_line(text)


def _where(fault: FaultView) -> str:
    """The host as its customer names it; a site fault (site.down) has none."""
    return fault.host_name if fault.host_id is not None else "whole site"


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y %H:%M UTC")


def _facts(fault: FaultView, reference: str | None = None) -> str:
    host = "whole site" if fault.host_id is None else f"{fault.host_name} ({fault.host_id})"
    quote = f"Reference: {reference} (please quote it)\n" if reference else ""
    return quote + (
        f"Customer: {one_line(fault.customer_name)}\n"
        f"Host:     {one_line(host)}\n"
        f"Problem:  {one_line(fault.title)}\n"
        f"Severity: {fault.severity}\n"
        f"Since:    {_when(fault.opened_at)}\n"
        f"Detail:   {one_line(fault.detail) or '-'}\n"
        f"Fault:    #{fault.id}\n"
    )


def fault_opened(
    fault: FaultView, recipient: str, ack_url: str | None, terms: Terms | None = None
) -> Mail:
    terms = terms or Terms()
    ack = (
        f"\nIf you are dealing with this, acknowledge it here (you will be asked to confirm):\n"
        f"{ack_url}\n"
        if ack_url
        else ""
    )
    intro = f"{one_line(terms.vendor)} has found a fault.\n\n"
    body = (
        intro + _facts(fault, terms.reference) + _explained(terms) + _contract(terms)
        + _next(terms) + ack
    )  # fmt: skip
    return Mail("fault_opened", recipient, subject(fault, reference=terms.reference), body)


def _explained(terms: Terms) -> str:
    if not terms.explained:
        return ""
    lines = "".join(f"  - {one_line(line)}\n" for line in terms.explained)
    return f"Also affected, explained by this fault (not mailed separately):\n{lines}"


def _contract(terms: Terms) -> str:
    lines = f"Contract: {one_line(terms.tier)}\n" if terms.tier else ""
    if terms.response_due:
        lines += f"Response: by {terms.response_due}\n"
    return lines


def _next(terms: Terms) -> str:
    """What happens next, in a sentence or two the customer can act on."""
    who = one_line(terms.vendor)
    text = f"\nWhat happens next: {who}'s engineers have been told"
    text += f" and will respond by {terms.response_due}.\n" if terms.response_due else ".\n"
    if terms.phones:
        quote = f", quoting {terms.reference}" if terms.reference else ""
        text += f"To speak to us, call {' or '.join(map(one_line, terms.phones))}{quote}.\n"
    return text


def fault_reminder(
    fault: FaultView, recipient: str, ack_url: str | None, terms: Terms | None = None
) -> Mail:
    mail = fault_opened(fault, recipient, ack_url, terms)
    reference = terms.reference if terms else None
    body = "Reminder: this fault is still open and nobody has acknowledged it.\n\n" + mail.body
    state = "STILL " + fault.severity.upper()
    return Mail("fault_reminder", recipient, subject(fault, state, reference), body)


def fault_resolved(
    fault: FaultView, recipient: str, resolved_at: datetime, reference: str | None = None
) -> Mail:
    body = (
        f"The fault has cleared at {_when(resolved_at)}.\n\n{_facts(fault, reference)}"
        f"Duration: {_duration(resolved_at - fault.opened_at)}\n"
    )
    return Mail("fault_resolved", recipient, subject(fault, "RESOLVED", reference), body)


def fault_acknowledged(
    fault: FaultView, recipient: str, by: str, comment: str, reference: str | None = None
) -> Mail:
    facts = _facts(fault, reference)
    body = f"{by} acknowledged this fault.\nComment: {comment or '-'}\n\n{facts}"
    return Mail("fault_acknowledged", recipient, subject(fault, "ACKNOWLEDGED", reference), body)


def not_covered(fault: FaultView, recipient: str, reference: str | None = None) -> Mail:
    body = (
        "A fault was found on a host whose customer has no support contract in force.\n"
        "The customer has been told; no response target applies. A sales conversation may.\n\n"
        + _facts(fault, reference)
    )
    return Mail("not_covered", recipient, subject(fault, "NO CONTRACT", reference), body)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
