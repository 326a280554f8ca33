"""The vendor's own network: one fault to the NOC when access fails for several customers at
once (or a vendor-side canary fails), and one when it recovers.

The pauses do not depend on this job (``collector.engine.incident_clock`` reads the same fault
history); it only tells people, once per episode, compare-and-set on the open episode.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.access import AccessLoss, AccessRules, vendor_network_cause
from collector.engine.incident_clock import access_rules
from collector.notify import outbox, vendor_messages
from collector.notify.messages import Mail
from collector.store import vendor_outages
from collector.store.database import Database
from collector.store.incident_pauses import RemoteFault

log = logging.getLogger(__name__)


def sweep_vendor_network(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    """Open or close the vendor-network episode; returns how many mails it wrote."""
    rules = access_rules(config)
    going, still_open = vendor_outages.current_and_failing(conn)
    still_lost, canaries = _still_failing(still_open, rules, now)
    cause = vendor_network_cause(still_lost, canaries, now, rules.vendor_network_customers)
    if cause is not None and going is None:
        vendor_outages.begin(conn, now, cause)
        log.warning("vendor network down: %s", cause)
        return _mail(conn, vendor_messages.vendor_network_down(cause, now, config.mail.noc), now)
    if cause is None and going is not None and vendor_outages.end(conn, going.id, now):
        log.info("vendor network back after %s", now - going.started_at)
        mail = vendor_messages.vendor_network_up(
            going.cause, going.started_at, now, config.mail.noc
        )
        return _mail(conn, mail, now)
    return 0


def _still_failing(
    still_open: list[RemoteFault], rules: AccessRules, now: datetime
) -> tuple[list[AccessLoss], list[str]]:
    """Access still lost (however long ago it went: only that decides the episode) and the
    canaries failing, of the ``remote.*`` faults open now."""
    canaries = sorted(
        {fault.host_id for fault in still_open if fault.host_id in rules.canary_hosts}
    )
    # Access lost is what ``access_losses`` reads: remote-access faults opened before now.
    lost = [fault.loss for fault in still_open if fault.access and fault.opened_at < now]
    return lost, canaries


def _mail(conn: Connection, mail: Mail, now: datetime) -> int:
    outbox.enqueue(
        conn, kind=mail.kind, recipient=mail.recipient, subject=mail.subject, body=mail.body,
        now=now,
    )  # fmt: skip
    return 1


def vendor_network_job(
    db: Database, config: CollectorConfig, clock: Callable[[], datetime]
) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        return await db.write(sweep_vendor_network, config, clock())

    return run
