"""The SLA sweep: keeps open incidents' due times current and tells the NOC in time.

For each open, covered incident with no first response yet, the sweep recalculates the
response due time with the pauses so far (an outage still going moves it on), then mails the
vendor's NOC once when ``mail.sla_warning_fraction`` of the target's working time has elapsed,
and once more when it is due. Each mail is claimed with a compare-and-set on
``sla_warned_at`` / ``sla_breached_at`` in the same transaction as its outbox row, so two
collectors sweeping together send it once. A breach found before any warning was sent is
mailed alone: a warning after the fact helps nobody.

Every other started target (resolution, on-site, parts dispatch, delivery and return) is
warned about and reported breached the same way, once each (a ``target_alerts`` row claims
it), until the lifecycle step that meets it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import SlaAlerts, TargetClock, explain_clock, sla_warnings
from collector.engine.clock_facts import ClockFacts
from collector.engine.clock_memo import alerts_of
from collector.engine.incident_clock import access_rules, incident_clocks
from collector.notify import outbox, sla_messages
from collector.notify.messages import Mail
from collector.operations.incidents import recompute_due
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.incident_view import IncidentView
from collector.store.incidents import SYSTEM_ACTOR

log = logging.getLogger(__name__)


def sla_job(
    db: Database, config: CollectorConfig, clock: Callable[[], datetime]
) -> Callable[[], Awaitable[int]]:
    """The sweep as a scheduled job: one write transaction per run."""

    async def run() -> int:
        return await db.write(sweep_sla, config, clock())

    return run


def sweep_sla(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    """One pass over open incidents' targets; returns how many mails it wrote."""
    catalogue, rules = catalogue_for(config), access_rules(config)
    written = 0
    watched = incident_store.open_covered(conn)
    # What the clocks read, read once for all: the sweep's own writes (due times, mail,
    # timeline) are none of it.
    facts = ClockFacts.read(conn, watched, now, rules)
    for incident in watched:
        # Each incident's clocks are computed once a sweep; the stored response due time
        # follows them while the first response is awaited.
        awaiting = incident.responded_at is None and incident.sla_breached_at is None
        if awaiting:
            clocks = recompute_due(conn, incident, catalogue, now, rules, facts)
            written += _sweep_one(conn, config, incident, clocks.get("first_response"), now)
        else:
            clocks = incident_clocks(conn, incident, catalogue, now, rules, facts)
        written += _sweep_lifecycle(conn, config, incident, clocks, now)
    return written


def _sweep_lifecycle(
    conn: Connection,
    config: CollectorConfig,
    incident: IncidentView,
    clocks: Mapping[str, TargetClock],
    now: datetime,
) -> int:
    """Warning and breach mail for every started target but the first response, each once
    (``target_alerts``), until the step that meets it is recorded."""
    written = 0
    for name, clock in clocks.items():
        if name == "first_response" or incident.met_at(name) is not None:
            continue
        warn_at, breach_at = _alert_times(config, clock)
        # A breach found before any warning is mailed alone, as for the first response.
        kind = "breach" if now >= breach_at else "warning" if now >= warn_at else None
        if kind is None:
            continue
        if incident_store.claim_target_alert(conn, incident.id, name, kind, now):
            alerts = _alerts(config, clock, now)
            written += _send_target(conn, config, incident, name, clock, alerts, now, kind)
    return written


def _alert_times(config: CollectorConfig, clock: TargetClock) -> tuple[datetime, datetime]:
    """When the target is to be warned about and when it is breached (kept: the same clocks
    come back every sweep)."""
    fraction = config.mail.sla_warning_fraction
    return alerts_of(
        clock.calendar, clock.starts_at, clock.due, fraction=fraction, pauses=clock.pauses
    )


def _alerts(config: CollectorConfig, clock: TargetClock, now: datetime) -> SlaAlerts:
    """The alerts with the working time left at ``now``, which a mail quotes."""
    fraction = config.mail.sla_warning_fraction
    return sla_warnings(
        clock.calendar, clock.starts_at, clock.due, now, fraction=fraction, pauses=clock.pauses
    )


def _send_target(
    conn: Connection,
    config: CollectorConfig,
    incident: IncidentView,
    name: str,
    clock: TargetClock,
    alerts: SlaAlerts,
    now: datetime,
    kind: str,
) -> int:
    explanation = explain_clock(clock)
    notice = sla_messages.noc_notice(conn, config, incident, now)
    if kind == "breach":
        mail = sla_messages.target_breached(notice, name, explanation)
        detail = f"{name.replace('_', ' ')} target missed; {explanation.sentence}"
    else:
        mail = sla_messages.target_warning(notice, name, explanation, alerts.remaining)
        detail = f"NOC warned about {name.replace('_', ' ')}; {explanation.sentence}"
    _queue(conn, mail, incident, now)
    event = "sla_breached" if kind == "breach" else "sla_warning"
    incident_store.record_event(conn, incident.id, now, event, SYSTEM_ACTOR, detail)
    return 1


def _sweep_one(
    conn: Connection,
    config: CollectorConfig,
    incident: IncidentView,
    clock: TargetClock | None,
    now: datetime,
) -> int:
    if clock is None:
        return 0
    warn_at, breach_at = _alert_times(config, clock)
    if now >= breach_at:
        column = "sla_breached_at"
    elif now >= warn_at and incident.sla_warned_at is None:
        column = "sla_warned_at"
    else:
        return 0
    return _send(conn, config, incident, clock, _alerts(config, clock, now), now, column)


def _send(
    conn: Connection,
    config: CollectorConfig,
    incident: IncidentView,
    clock: TargetClock,
    alerts: SlaAlerts,
    now: datetime,
    column: str,
) -> int:
    if not incident_store.mark_sla_mail(conn, incident.id, column, now):
        return 0  # another collector got there first
    explanation = explain_clock(clock)
    notice = sla_messages.noc_notice(conn, config, incident, now)
    mail: Mail
    if column == "sla_breached_at":
        mail = sla_messages.sla_breached(notice, explanation)
        kind, detail = "sla_breached", f"first response target missed; {explanation.sentence}"
    else:
        mail = sla_messages.sla_warning(notice, explanation, alerts.remaining)
        kind, detail = "sla_warning", f"NOC warned; {explanation.sentence}"
    _queue(conn, mail, incident, now)
    incident_store.record_event(conn, incident.id, now, kind, SYSTEM_ACTOR, detail)
    log.info("incident #%d: %s mailed to %s", incident.id, kind, mail.recipient)
    return 1


def _queue(conn: Connection, mail: Mail, incident: IncidentView, now: datetime) -> None:
    """Under the incident's fault: the mail threads with the NOC's mails about it."""
    outbox.enqueue(
        conn,
        kind=mail.kind,
        recipient=mail.recipient,
        subject=mail.subject,
        body=mail.body,
        now=now,
        fault_id=incident.fault_id,
        html=mail.html,
    )
