"""Works through the outbox: deliver, record, and back off on failure."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from collector.config import CollectorConfig
from collector.database import Database
from collector.metrics import Metrics
from collector.notify import outbox
from collector.notify.compose import message_id_domain, to_email
from collector.notify.smtp import DeliveryError

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def retry_delay(attempt: int, base_s: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter, capped at an hour."""
    ceiling = min(3600.0, base_s * 2 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


class OutboxSender:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        config: CollectorConfig,
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._transport = transport
        self._config = config
        self._metrics = metrics
        self._clock = clock
        self._domain = message_id_domain(config.mail.message_id_domain, config.http.public_url)

    async def deliver_due(self) -> int:
        """Send every due message once; returns how many were delivered."""
        claimed = await self._db.write(outbox.claim_due, self._clock())
        delivered = 0
        for message in claimed:
            delivered += await self._deliver(message)
        return delivered

    async def _deliver(self, message: outbox.OutgoingMessage) -> int:
        try:
            email = to_email(message, sender=self._config.smtp.sender, domain=self._domain)
            await self._transport.send(email)
        except DeliveryError as exc:
            await self._record_failure(message, exc)
            return 0
        await self._db.write(outbox.mark_sent, message.id, self._clock())
        self._metrics.mail_sent.inc()
        log.info("sent %s #%d to %s", message.kind, message.id, message.recipient)
        return 1

    async def _record_failure(self, message: outbox.OutgoingMessage, exc: DeliveryError) -> None:
        mail = self._config.mail
        self._metrics.mail_failures.labels(permanent=str(exc.permanent).lower()).inc()
        give_up = exc.permanent or message.attempts >= mail.max_attempts
        retry_at = None
        if not give_up:
            delay = retry_delay(message.attempts, mail.retry_base_s)
            retry_at = self._clock() + timedelta(seconds=delay)
        log.warning(
            "delivery of %s #%d to %s failed (attempt %d, %s): %s",
            message.kind,
            message.id,
            message.recipient,
            message.attempts,
            "giving up" if give_up else f"retry at {retry_at:%H:%M:%S}",
            exc,
        )
        await self._db.write(outbox.mark_failed, message.id, str(exc), retry_at=retry_at)
