"""What the fault mails say. Subjects read as a sentence a customer can triage from a phone's
lock screen: "FAULT: Disk / is 97% full on Harbor file server [INC-2026-0042]". The vendor's
own people (NOC, sales) see the severity and the customer in it instead of "FAULT".

Each mail is a ``Letter`` first, then plain text here and HTML in ``collector.notify.mail_html``:
the two parts say the same. Times are in the reader's zone, with its abbreviation.

Names and details an agent reported are shown with control characters escaped: one line each,
so none can split a header or forge a line of the facts below it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from collector.domain.control_characters import escape_control_characters as one_line
from collector.domain.faults import reported_by_customer
from collector.domain.sentences import HOST_FIRST, fault_sentence, recovery_sentence
from collector.notify import mail_html
from collector.notify.letters import Letter, Tone, escaped_plain_text
from collector.store.faults import FaultView


@dataclass(frozen=True)
class Mail:
    kind: str
    recipient: str
    subject: str
    body: str
    html: str | None = None  # the same message as HTML, sent alongside the plain text


@dataclass(frozen=True)
class Terms:
    """What a reader needs to act on a fault: who is telling them, the reference to quote, the
    contract and its response target, whom to call, in the reader's own time zone."""

    vendor: str = "Faultdesk"
    reference: str | None = None
    tier: str | None = None
    response_due: datetime | None = None
    phones: tuple[str, ...] = ()
    #: What else the outage explains, one line each: not mailed separately.
    explained: tuple[str, ...] = ()
    zone: tzinfo = UTC
    #: The vendor's own people (NOC, sales): the subject names severity and customer.
    for_vendor: bool = False


_TONES: dict[str, Tone] = {"critical": "bad", "major": "warn", "minor": "warn"}


def when(moment: datetime, zone: tzinfo) -> str:
    """``Mon 02 Nov 2026 13:02 GMT``: in ``zone``, its abbreviation named."""
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def subject(fault: FaultView, label: str, sentence: str, terms: Terms) -> str:
    """``FAULT: Disk / is 97% full on Harbor file server [INC-2026-0042]``: the reference last,
    where a lock screen cuts, and the same in every mail about the outage."""
    text = f"{label}: {headline(fault, sentence, terms)}"
    if terms.reference:
        text += f" [{terms.reference}]"
    return one_line(text)


def headline(fault: FaultView, sentence: str, terms: Terms) -> str:
    """The sentence and where: a host as its customer names it; a site fault, the customer."""
    if fault.host_id is None:
        return f"{sentence} at {fault.customer_name}"
    customer = f" ({fault.customer_name})" if terms.for_vendor else ""
    if fault.check_key in HOST_FIRST:
        return f"{fault.host_name}{customer} {sentence}"
    return f"{sentence} on {fault.host_name}{customer}"


def sentence_of(fault: FaultView) -> str:
    """What is wrong, in a sentence: a customer's own report reads as the title they gave it."""
    return fault_sentence(fault.check_key, fault.detail, fault.title)


def _found(fault: FaultView, terms: Terms) -> str:
    """Who found the fault: the vendor's monitoring, or the customer, who logged it."""
    if reported_by_customer(fault.check_key):
        return f"{fault.customer_name} has reported a fault."
    return f"{terms.vendor} has found a fault."


def letter_mail(kind: str, recipient: str, letter: Letter) -> Mail:
    """The mail of ``letter``: both parts written from it escaped once."""
    escaped = letter.one_line()
    return Mail(
        kind, recipient, letter.subject, escaped_plain_text(escaped), mail_html.render(escaped)
    )


def _facts(fault: FaultView, terms: Terms) -> tuple[tuple[str, str], ...]:
    host = "whole site" if fault.host_id is None else f"{fault.host_name} ({fault.host_id})"
    quote = (("Reference", f"{terms.reference} (please quote it)"),) if terms.reference else ()
    return (
        *quote,
        ("Customer", fault.customer_name),
        ("Host", host),
        ("Problem", fault.title),
        ("Severity", fault.severity),
        ("Since", when(fault.opened_at, terms.zone)),
        ("Detail", fault.detail or "-"),
        ("Fault", f"#{fault.id}"),
    )


def _contract(terms: Terms) -> tuple[tuple[str, str], ...]:
    lines: tuple[tuple[str, str], ...] = (("Contract", terms.tier),) if terms.tier else ()
    if terms.response_due is not None:
        lines += (("Response", f"by {when(terms.response_due, terms.zone)}"),)
    return lines


def _next(terms: Terms) -> tuple[str, ...]:
    """What happens next, in a sentence or two the reader can act on."""
    text = f"What happens next: {terms.vendor}'s engineers have been told"
    due = terms.response_due
    text += f" and will respond by {when(due, terms.zone)}." if due is not None else "."
    if not terms.phones:
        return (text,)
    quote = f", quoting {terms.reference}" if terms.reference else ""
    return text, f"To speak to us, call {' or '.join(terms.phones)}{quote}."


def _opening(
    fault: FaultView,
    ack_url: str | None,
    terms: Terms,
    lead: tuple[str, ...] = (),
    *,
    reminder: bool = False,
) -> Letter:
    """An opening, or a reminder of one: what is wrong, the terms, and what happens next."""
    severity = fault.severity.upper()
    if reminder:
        label = f"STILL {severity}" if terms.for_vendor else "REMINDER"
    else:
        label = severity if terms.for_vendor else "FAULT"
    sentence = sentence_of(fault)
    return Letter(
        subject(fault, label, sentence, terms),
        label,
        headline(fault, sentence, terms),
        _TONES.get(fault.severity, "unknown"),
        (*lead, _found(fault, terms)),
        _facts(fault, terms) + _contract(terms),
        terms.explained,
        _next(terms),
        ack_url,
    )


def fault_opened(
    fault: FaultView, recipient: str, ack_url: str | None, terms: Terms | None = None
) -> Mail:
    terms = terms or Terms()
    return letter_mail("fault_opened", recipient, _opening(fault, ack_url, terms))


def fault_reminder(
    fault: FaultView, recipient: str, ack_url: str | None, terms: Terms | None = None
) -> Mail:
    lead = ("Reminder: this fault is still open and nobody has acknowledged it.",)
    letter = _opening(fault, ack_url, terms or Terms(), lead, reminder=True)
    return letter_mail("fault_reminder", recipient, letter)


def fault_resolved(
    fault: FaultView, recipient: str, resolved_at: datetime, terms: Terms | None = None
) -> Mail:
    terms = terms or Terms()
    sentence = recovery_sentence(fault.check_key, fault.detail, fault.title)
    duration = (("Duration", _duration(resolved_at - fault.opened_at)),)
    letter = Letter(
        subject(fault, "RESOLVED", sentence, terms),
        "RESOLVED",
        headline(fault, sentence, terms),
        "ok",
        (f"The fault has cleared at {when(resolved_at, terms.zone)}.",),
        _facts(fault, terms) + duration,
    )
    return letter_mail("fault_resolved", recipient, letter)


def fault_acknowledged(
    fault: FaultView, recipient: str, by: str, comment: str, terms: Terms | None = None
) -> Mail:
    terms = terms or Terms()
    sentence = sentence_of(fault)
    letter = Letter(
        subject(fault, "ACKNOWLEDGED", sentence, terms),
        "ACKNOWLEDGED",
        headline(fault, sentence, terms),
        "ack",
        (f"{by} acknowledged this fault.",),
        (("Comment", comment or "-"), *_facts(fault, terms)),
    )
    return letter_mail("fault_acknowledged", recipient, letter)


def not_covered(fault: FaultView, recipient: str, terms: Terms | None = None) -> Mail:
    terms = terms or Terms()
    sentence = sentence_of(fault)
    letter = Letter(
        subject(fault, "NO CONTRACT", sentence, terms),
        "NO CONTRACT",
        headline(fault, sentence, terms),
        "unknown",
        (
            "A fault was found on a host whose customer has no support contract in force.",
            "The customer has been told; no response target applies. A sales conversation may.",
        ),
        _facts(fault, terms),
    )
    return letter_mail("not_covered", recipient, letter)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
