"""What the SLA mails to the vendor's NOC say: a response target nearly used up, or missed.

Subjects lead with the state and the customer, like the fault mails, so the NOC can triage
from a phone's lock screen; the body says why the target falls when it does.
"""

from __future__ import annotations

from datetime import timedelta

from collector.domain.sla import Explanation
from collector.domain.tiers import format_duration
from collector.notify.messages import Mail
from collector.store.incident_view import IncidentView


def _subject(label: str, incident: IncidentView) -> str:
    host = incident.host_name or "whole site"
    return f"{label}: {incident.customer_name} / {host}: {incident.title} [{incident.reference}]"


def _facts(
    incident: IncidentView, explanation: Explanation, url: str, target: str = "first_response"
) -> str:
    return (
        f"Customer: {incident.customer_name}\n"
        f"Host:     {incident.host_name or 'whole site'}\n"
        f"Problem:  {incident.title}\n"
        f"Severity: {incident.severity}\n"
        f"Tier:     {incident.policy.get('title') or incident.tier} ({incident.tier})\n"
        f"Target:   {target.replace('_', ' ')}, {explanation.rule}\n"
        f"Why:      {explanation.sentence}\n"
        f"Incident: {incident.reference} {url}\n"
    )


def sla_warning(
    incident: IncidentView,
    explanation: Explanation,
    remaining: timedelta,
    recipient: str,
    url: str,
) -> Mail:
    """Most of the first-response target has gone and nobody has responded."""
    body = (
        f"Nobody has responded to this incident yet, and {format_duration(remaining)} of "
        f"working time is left before the first-response target is missed.\n\n"
        + _facts(incident, explanation, url)
    )
    left = format_duration(remaining)
    return Mail("sla_warning", recipient, _subject(f"SLA WARNING {left} left", incident), body)


def sla_breached(
    incident: IncidentView, explanation: Explanation, recipient: str, url: str
) -> Mail:
    """The first-response target has passed with no response recorded."""
    body = (
        "The first-response target for this incident has passed and no response is "
        "recorded. Respond now, and record it on the incident.\n\n"
        + _facts(incident, explanation, url)
    )
    return Mail("sla_breached", recipient, _subject("SLA BREACHED", incident), body)


def severity_raised(
    incident: IncidentView, was: str, changes: str, recipient: str, url: str
) -> Mail:
    """The incident's fault got worse: its targets may now fall sooner, and it may page."""
    body = (
        f"This incident's fault rose from {was} to {incident.severity}. Its targets are now the "
        f"earlier of those already promised and the {incident.severity} ones counted from "
        f"now{changes}.\n\n"
        f"Customer: {incident.customer_name}\n"
        f"Host:     {incident.host_name or 'whole site'}\n"
        f"Problem:  {incident.title}\n"
        f"Tier:     {incident.policy.get('title') or incident.tier} ({incident.tier})\n"
        f"Incident: {url}\n"
    )
    label = f"SEVERITY RAISED {was} → {incident.severity}"
    return Mail("severity_raised", recipient, _subject(label, incident), body)


def target_words(target: str) -> str:
    """``parts_dispatch`` → ``parts-dispatch``, as the mails name a target."""
    return target.replace("_", "-")


def target_warning(
    incident: IncidentView,
    target: str,
    explanation: Explanation,
    remaining: timedelta,
    recipient: str,
    url: str,
) -> Mail:
    """Most of a lifecycle target (on-site, parts, resolution) has gone and it is not met."""
    words, left = target_words(target), format_duration(remaining)
    body = (
        f"The {words} target for this incident is not met yet, and {left} of working time is "
        f"left before it is missed.\n\n" + _facts(incident, explanation, url, target)
    )
    label = f"SLA WARNING {words} {left} left"
    return Mail("sla_warning", recipient, _subject(label, incident), body)


def target_breached(
    incident: IncidentView, target: str, explanation: Explanation, recipient: str, url: str
) -> Mail:
    words = target_words(target)
    body = (
        f"The {words} target for this incident has passed and it is not recorded as met. "
        "Record the step on the incident when it is done.\n\n"
        + _facts(incident, explanation, url, target)
    )
    return Mail("sla_breached", recipient, _subject(f"SLA BREACHED {words}", incident), body)
