"""What the SLA mails to the vendor's NOC say: a target nearly used up, missed, or brought
forward by a severity rise.

Subjects read as the fault mails' do, a sentence with the customer and the reference, led by
what is at stake and when, on the vendor's clock: "SLA WARNING: first response due 14:00 GMT
for asterisk is not running on pbx1 (Acme Ltd) [INC-2026-0042]". Each is a ``Letter``, so it
has the fault mails' plain-text and HTML parts; queued under the incident's fault, it threads
with the NOC's mails about that fault (``collector.notify.compose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.control_characters import escape_control_characters as one_line
from collector.domain.sla import Explanation
from collector.domain.tiers import format_duration
from collector.notify.letters import Letter, Tone
from collector.notify.messages import (
    Mail,
    Terms,
    headline,
    letter_mail,
    sentence_of,
    subject,
    when,
)
from collector.store import faults as fault_store
from collector.store.faults import FaultView
from collector.store.incident_view import IncidentView

Facts = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class NocNotice:
    """What every NOC mail about an incident starts from: the incident, its fault, its page,
    and the vendor's clock."""

    incident: IncidentView
    fault: FaultView
    recipient: str
    url: str
    zone: tzinfo
    now: datetime

    @property
    def terms(self) -> Terms:
        return Terms(reference=self.incident.reference, zone=self.zone, for_vendor=True)

    @property
    def sentence(self) -> str:
        return sentence_of(self.fault)

    @property
    def headline(self) -> str:
        """``asterisk is not running on pbx1 (Acme Ltd)``, as the NOC's fault mails say it."""
        return headline(self.fault, self.sentence, self.terms)


def noc_notice(
    conn: Connection, config: CollectorConfig, incident: IncidentView, now: datetime
) -> NocNotice:
    """The notice for the NOC's address, in the vendor's zone (the dashboard's)."""
    fault = fault_store.get_fault(conn, incident.fault_id)
    assert fault is not None  # a fault outlives its incidents
    url = f"{config.http.public_url.rstrip('/')}/incidents/{incident.id}"
    zone = ZoneInfo(config.dashboard.timezone)
    return NocNotice(incident, fault, config.mail.noc, url, zone, now)


def _at(moment: datetime, notice: NocNotice) -> str:
    """``14:00 GMT`` today, else ``Tue 03 Nov 14:00 GMT``: short, for a lock screen."""
    local, today = moment.astimezone(notice.zone), notice.now.astimezone(notice.zone)
    return local.strftime("%H:%M %Z" if local.date() == today.date() else "%a %d %b %H:%M %Z")


def _words(target: str) -> str:
    """``parts_dispatch`` → ``parts dispatch``, as the mails name a target."""
    return target.replace("_", " ")


def _facts(notice: NocNotice) -> Facts:
    incident, fault = notice.incident, notice.fault
    host = "whole site" if fault.host_id is None else f"{fault.host_name} ({fault.host_id})"
    return (
        ("Reference", incident.reference),
        ("Customer", incident.customer_name),
        ("Host", host),
        ("Problem", incident.title),
        ("Severity", incident.severity),
        ("Tier", f"{incident.policy.get('title') or incident.tier} ({incident.tier})"),
        ("Since", when(incident.opened_at, notice.zone)),
    )


def _target_facts(notice: NocNotice, target: str, explanation: Explanation) -> Facts:
    return (
        *_facts(notice),
        ("Target", f"{_words(target)}, {explanation.rule}"),
        ("Due", when(explanation.due, notice.zone)),
        ("Why", explanation.sentence),
        ("Incident", notice.url),
    )


def _subject(notice: NocNotice, label: str, stake: str) -> str:
    """``LABEL: stake for <headline> [reference]``."""
    return one_line(f"{label}: {stake} for {notice.headline} [{notice.incident.reference}]")


def target_warning(
    notice: NocNotice, target: str, explanation: Explanation, remaining: timedelta
) -> Mail:
    """Most of a target's working time has gone and the step that meets it is not recorded."""
    words, left = _words(target), format_duration(remaining)
    lead = (
        f"The {words} target for this incident is not met yet, and {left} of working time is "
        "left before it is missed."
    )
    if target == "first_response":
        lead = (
            f"Nobody has responded to this incident yet, and {left} of working time is left "
            "before the first-response target is missed."
        )
    label, stake = "SLA WARNING", f"{words} due {_at(explanation.due, notice)}"
    facts = _target_facts(notice, target, explanation)
    letter = Letter(_subject(notice, label, stake), label, notice.headline, "warn", (lead,), facts)
    return letter_mail("sla_warning", notice.recipient, letter)


def target_breached(notice: NocNotice, target: str, explanation: Explanation) -> Mail:
    """A target has passed with the step that meets it not recorded."""
    words = _words(target)
    lead = (
        f"The {words} target for this incident has passed and it is not recorded as met. "
        "Record the step on the incident when it is done."
    )
    if target == "first_response":
        lead = (
            "The first-response target for this incident has passed and no response is "
            "recorded. Respond now, and record it on the incident."
        )
    label, stake = "SLA BREACHED", f"{words} was due {_at(explanation.due, notice)}"
    facts = _target_facts(notice, target, explanation)
    letter = Letter(_subject(notice, label, stake), label, notice.headline, "bad", (lead,), facts)
    return letter_mail("sla_breached", notice.recipient, letter)


def sla_warning(notice: NocNotice, explanation: Explanation, remaining: timedelta) -> Mail:
    return target_warning(notice, "first_response", explanation, remaining)


def sla_breached(notice: NocNotice, explanation: Explanation) -> Mail:
    return target_breached(notice, "first_response", explanation)


def severity_raised(notice: NocNotice, was: str, changes: str) -> Mail:
    """The incident's fault got worse: its targets may now fall sooner, and it may page."""
    rose_to = notice.incident.severity
    lead = (
        f"This incident's fault rose from {was} to {rose_to}. Its targets are now the earlier "
        f"of those already promised and the {rose_to} ones counted from now{changes}."
    )
    label = f"SEVERITY RAISED {was} → {rose_to}"
    text = subject(notice.fault, label, notice.sentence, notice.terms)
    facts = (*_facts(notice), ("Incident", notice.url))
    tone: Tone = "bad" if rose_to == "critical" else "warn"
    letter = Letter(text, label, notice.headline, tone, (lead,), facts)
    return letter_mail("severity_raised", notice.recipient, letter)
