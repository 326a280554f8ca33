"""Works through the outbox: deliver, record, and back off on failure.

Each message is delivered or failed on its own: one that cannot be built or sent is recorded
with its reason and never holds up the rest of the batch.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import Connection

from collector.config import CollectorConfig
from collector.database import Database
from collector.metrics import Metrics
from collector.notify import outbox
from collector.notify.compose import UnsendableMessage, message_id_domain, to_email
from collector.notify.smtp import DeliveryError

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def retry_delay(attempt: int, base_s: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter, capped at an hour."""
    ceiling = min(3600.0, base_s * 2 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


def take_due(
    conn: Connection, now: datetime, max_attempts: int
) -> tuple[int, list[outbox.OutgoingMessage]]:
    """Give up on due messages with no attempts left, then claim the rest that are due."""
    given_up = outbox.give_up_exhausted(conn, now, max_attempts=max_attempts)
    return given_up, outbox.claim_due(conn, now, max_attempts=max_attempts)


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
        max_attempts = self._config.mail.max_attempts
        given_up, claimed = await self._db.write(take_due, self._clock(), max_attempts)
        if given_up:
            self._metrics.mail_given_up.labels(reason="attempts").inc(given_up)
            log.warning("gave up on %d message(s) whose last attempt was cut short", given_up)
        delivered = 0
        for message in claimed:
            delivered += await self._deliver(message)
        return delivered

    async def _deliver(self, message: outbox.OutgoingMessage) -> int:
        try:
            email = to_email(message, sender=self._config.smtp.sender, domain=self._domain)
            await self._transport.send(email)
        except UnsendableMessage as exc:
            await self._record_failure(message, f"cannot build the message: {exc}", permanent=True)
            return 0
        except DeliveryError as exc:
            await self._record_failure(message, str(exc), permanent=exc.permanent)
            return 0
        except Exception as exc:  # the one boundary: an error nobody foresaw fails this message
            log.exception("delivery of %s #%d failed unexpectedly", message.kind, message.id)
            await self._record_failure(message, f"{type(exc).__name__}: {exc}", permanent=False)
            return 0
        await self._db.write(outbox.mark_sent, message.id, self._clock())
        self._metrics.mail_sent.inc()
        log.info("sent %s #%d to %s", message.kind, message.id, message.recipient)
        return 1

    async def _record_failure(
        self, message: outbox.OutgoingMessage, error: str, *, permanent: bool
    ) -> None:
        mail = self._config.mail
        self._metrics.mail_failures.labels(permanent=str(permanent).lower()).inc()
        give_up = permanent or message.attempts >= mail.max_attempts
        retry_at = None
        if give_up:
            reason = "permanent" if permanent else "attempts"
            self._metrics.mail_given_up.labels(reason=reason).inc()
        else:
            delay = retry_delay(message.attempts, mail.retry_base_s)
            retry_at = self._clock() + timedelta(seconds=delay)
        log.warning(
            "delivery of %s #%d to %r failed (attempt %d, %s): %s",
            message.kind,
            message.id,
            message.recipient,
            message.attempts,
            "giving up" if give_up else f"retry at {retry_at:%H:%M:%S}",
            error,
        )
        await self._db.write(
            outbox.mark_failed, message.id, error, retry_at=retry_at, attempt=message.attempts
        )
