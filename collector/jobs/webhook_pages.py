"""Delivering webhook pages, and the scheduled paging job.

``sweep_paging`` (``collector.jobs.paging``) decides and records pages in the database; a
webhook page it leaves ``pending`` is POSTed here, outside any transaction. Apart from it so
that what only decides pages (the CLI's ``simulate``) does not load an HTTP client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime

import aiohttp

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.jobs.paging import ack_url, paging_policy, sweep_paging
from collector.notify.page_messages import webhook_payload
from collector.notify.webhook import post_page
from collector.store import pages as page_store
from collector.store.database import Database

log = logging.getLogger(__name__)


async def deliver_webhook_pages(
    db: Database,
    config: CollectorConfig,
    clock: Callable[[], datetime],
    session: aiohttp.ClientSession | None = None,
) -> int:
    """POST every pending webhook page once (with in-line retries); returns how many arrived."""
    claimed = await db.write(page_store.claim_pending)
    if not claimed:
        return 0
    settings, delivered = config.oncall, 0
    async with AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(aiohttp.ClientSession())
        for page in claimed:
            incident = await db.read(page_store.get_incident, page.incident_id)
            if incident is None:
                continue  # deleted with its customer; the page row went with it
            policy = paging_policy(incident, catalogue_for(config))
            url = ack_url(config, incident.id, page.person, clock())
            payload = webhook_payload(incident, page.kind, page.person, page.at, policy, url)
            outcome = await post_page(
                session,
                page.target,
                payload,
                timeout_s=settings.webhook_timeout_s,
                attempts=settings.webhook_attempts,
                retry_s=settings.webhook_retry_s,
            )
            await db.write(
                page_store.finish_page, page.id, sent=outcome.delivered, error=outcome.error_text
            )
            if not outcome.delivered:
                log.warning("page #%d to %s failed: %s", page.id, page.person, outcome.error_text)
            delivered += outcome.delivered
    return delivered


def paging_job(
    db: Database, config: CollectorConfig, clock: Callable[[], datetime]
) -> Callable[[], Awaitable[None]]:
    """The scheduled job: decide and record pages, then POST the webhook ones."""

    async def run() -> None:
        await db.write(sweep_paging, config, clock())
        await deliver_webhook_pages(db, config, clock)

    return run
