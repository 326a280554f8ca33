"""What a page says: a short SMS-friendly text for email-to-SMS gateways, JSON for webhooks.

An SMS is about 160 characters and a gateway may keep only the subject, so the subject alone
names the severity, the incident, the customer, the host and the problem; the body repeats it
with the time on the engineer's own clock, the response target and the acknowledgement link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from collector.domain.escalation import PageAction, PageKind, PagingPolicy
from collector.domain.oncall import Person
from collector.domain.tiers import format_duration
from collector.store.pages import PagingIncident

_HEADINGS = {PageKind.PAGE: "PAGE", PageKind.REPAGE: "REPAGE", PageKind.ESCALATE: "ESCALATED"}
_PROBLEM_CHARS = 70
_SUBJECT_CHARS = 78 - len("Subject: ")
_PROBLEM_MIN = 20


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "~"


def where(incident: PagingIncident) -> str:
    return f"{incident.customer_name}/{incident.host_name or 'site'}"


def page_subject(incident: PagingIncident, action: PageAction) -> str:
    heading, severity = _HEADINGS[action.kind], incident.severity.upper()
    lead = f"{heading} {severity} {incident.reference} {where(incident)}: "
    # One header line (78 less "Subject: "): folded, the subject would start with a space.
    problem = _short(incident.title, max(_PROBLEM_MIN, _SUBJECT_CHARS - len(lead)))
    return lead + problem


def page_body(
    incident: PagingIncident,
    action: PageAction,
    person: Person,
    policy: PagingPolicy,
    ack_url: str,
) -> str:
    local = incident.opened_at.astimezone(ZoneInfo(person.zone))
    opened = f"Opened {local:%a %H:%M %Z} ({incident.opened_at.astimezone(UTC):%H:%M} UTC)."
    lines = [
        f"{incident.severity.upper()} incident {incident.reference} {where(incident)}",
        _short(incident.title, _PROBLEM_CHARS * 2),
        opened,
    ]
    if action.kind is PageKind.ESCALATE and action.after:
        lines.append(f"{action.after} did not acknowledge.")
    if policy.page_response is not None:
        lines.append(f"Respond within {format_duration(policy.page_response)}.")
    lines.append(f"Ack: {ack_url}")
    return "\n".join(lines) + "\n"


def webhook_payload(
    incident: PagingIncident,
    kind: str,
    person: str,
    at: datetime,
    policy: PagingPolicy,
    ack_url: str,
) -> dict[str, Any]:
    """The JSON POSTed to a webhook pager; ``text`` is ready to show as it is."""
    respond = policy.page_response
    return {
        "kind": kind,
        "person": person,
        "paged_at": at.astimezone(UTC).isoformat(),
        "incident": {
            "id": incident.id,
            "severity": incident.severity,
            "customer": incident.customer_name,
            "host": incident.host_name,
            "problem": incident.title,
            "tier": incident.tier,
            "opened_at": incident.opened_at.astimezone(UTC).isoformat(),
        },
        "respond_within_s": respond.total_seconds() if respond else None,
        "ack_url": ack_url,
        "text": page_subject(incident, PageAction(PageKind(kind), person)),
    }
