"""The SLA sweep: keeps open incidents' response due times current and tells the NOC in time.

For each open, covered incident with no first response yet, the sweep recalculates the
response due time with the pauses so far (an outage still going moves it on), then mails the
vendor's NOC once when ``mail.sla_warning_fraction`` of the target's working time has elapsed,
and once more when it is due. Each mail is claimed with a compare-and-set on
``sla_warned_at`` / ``sla_breached_at`` in the same transaction as its outbox row, so two
collectors sweeping together send it once. A breach found before any warning was sent is
mailed alone: a warning after the fact helps nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import SlaAlerts, TargetClock, explain_clock, sla_warnings
from collector.domain.tiers import Tier
from collector.engine.incident_clock import access_rules
from collector.notify import outbox, sla_messages
from collector.notify.messages import Mail
from collector.operations.incidents import recompute_due
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.incidents import SYSTEM_ACTOR, IncidentView

log = logging.getLogger(__name__)


def incident_url(config: CollectorConfig, incident_id: int) -> str:
    return f"{config.http.public_url.rstrip('/')}/incidents/{incident_id}"


def sla_job(
    db: Database, config: CollectorConfig, clock: Callable[[], datetime]
) -> Callable[[], Awaitable[int]]:
    """The sweep as a scheduled job: one write transaction per run."""

    async def run() -> int:
        return await db.write(sweep_sla, config, clock())

    return run


def sweep_sla(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    """One pass over incidents awaiting a first response; returns how many mails it wrote."""
    catalogue = catalogue_for(config)
    written = 0
    for incident in incident_store.awaiting_response(conn):
        written += _sweep_one(conn, config, catalogue, incident, now)
    return written


def _sweep_one(
    conn: Connection,
    config: CollectorConfig,
    catalogue: Mapping[str, Tier],
    incident: IncidentView,
    now: datetime,
) -> int:
    rules = access_rules(config)
    clock = recompute_due(conn, incident, catalogue, now, rules).get("first_response")
    if clock is None:
        return 0
    alerts = sla_warnings(
        clock.calendar,
        clock.starts_at,
        clock.due,
        now,
        fraction=config.mail.sla_warning_fraction,
        pauses=clock.pauses,
    )
    if alerts.breached:
        return _send(conn, config, incident, clock, alerts, now, "sla_breached_at")
    if alerts.warning_due and incident.sla_warned_at is None:
        return _send(conn, config, incident, clock, alerts, now, "sla_warned_at")
    return 0


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
    url, noc = incident_url(config, incident.id), config.mail.noc
    mail: Mail
    if column == "sla_breached_at":
        mail = sla_messages.sla_breached(incident, explanation, noc, url)
        kind, detail = "sla_breached", f"first response target missed; {explanation.sentence}"
    else:
        mail = sla_messages.sla_warning(incident, explanation, alerts.remaining, noc, url)
        kind, detail = "sla_warning", f"NOC warned; {explanation.sentence}"
    outbox.enqueue(
        conn,
        kind=mail.kind,
        recipient=mail.recipient,
        subject=mail.subject,
        body=mail.body,
        now=now,
        fault_id=incident.fault_id,
    )
    incident_store.record_event(conn, incident.id, now, kind, SYSTEM_ACTOR, detail)
    log.info("incident #%d: %s mailed to %s", incident.id, kind, noc)
    return 1
