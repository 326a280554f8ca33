"""Works through the outbox: deliver, record, and back off on failure.

Each message is delivered or failed on its own: one that cannot be built or sent is recorded
with its reason and never holds up the rest of the batch. While a batch is under way its
claims are renewed every ``RENEW_EVERY``, so they stand as long as this sender lives and lapse
within ``outbox.CLAIM_LEASE`` once it dies.

Mail committed in this process wakes the sender at once (``wake``, called when a transaction
that queued mail commits); the leader also looks every ``mail.send_interval_s`` for what no
wake announces: retries falling due, mail queued by another collector or by the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from collector.config.settings import CollectorConfig
from collector.notify import outbox
from collector.notify.compose import UnsendableMessage, message_id_domain, to_email
from collector.notify.smtp import DeliveryError
from collector.runtime.metrics import Metrics
from collector.store.database import Database

log = logging.getLogger(__name__)

#: A third of the lease: two renewals can go astray before a live sender's claims lapse.
RENEW_EVERY = outbox.CLAIM_LEASE / 3


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
        *,
        renew_every: timedelta = RENEW_EVERY,
    ) -> None:
        self._db = db
        self._transport = transport
        self._config = config
        self._metrics = metrics
        self._clock = clock
        self._renew_every_s = renew_every.total_seconds()
        self._domain = message_id_domain(config.mail.message_id_domain, config.http.public_url)
        #: Set when mail was committed here since the sender last looked.
        self.mail_queued = asyncio.Event()

    def wake(self) -> None:
        """Mail was just committed to the outbox: look now rather than at the next interval."""
        self.mail_queued.set()

    async def deliver_due(self) -> int:
        """Send every due message once, a claimed batch at a time until a claim comes back
        short (a full outbox drains without waiting for the next look); returns how many
        were delivered."""
        delivered = 0
        while True:
            claimed = await self._claim()
            if claimed:
                delivered += await self._deliver_batch(claimed)
            if len(claimed) < outbox.CLAIM_BATCH:
                return delivered

    async def _claim(self) -> list[outbox.OutgoingMessage]:
        max_attempts = self._config.mail.max_attempts
        given_up, claimed = await self._db.write(take_due, self._clock(), max_attempts)
        if given_up:
            self._metrics.mail_given_up.labels(reason="attempts").inc(given_up)
            log.warning("gave up on %d message(s) whose last attempt was cut short", given_up)
        return claimed

    async def _deliver_batch(self, claimed: list[outbox.OutgoingMessage]) -> int:
        held = list(claimed)
        keeper = asyncio.create_task(self._keep_claims(held))
        delivered = 0
        try:
            for message in claimed:
                delivered += await self._deliver(message, held)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        return delivered

    async def _keep_claims(self, held: list[outbox.OutgoingMessage]) -> None:
        """Renew the claims still ``held`` until cancelled at the end of the batch."""
        while True:
            await asyncio.sleep(self._renew_every_s)
            try:
                await self._db.write(outbox.renew_claims, list(held), self._clock())
            except SQLAlchemyError as exc:
                # The next may get through; if none does, the claims lapse as a dead sender's
                # would, and the messages go again under the same Message-ID.
                log.warning("could not renew %d mail claim(s): %s", len(held), exc)

    async def _deliver(
        self, message: outbox.OutgoingMessage, held: list[outbox.OutgoingMessage]
    ) -> int:
        # Confirm the claim first: if it lapsed (this process stalled) and another sender took
        # the message, that sender delivers it.
        if not await self._db.write(outbox.renew_claims, [message], self._clock()):
            held.remove(message)
            log.warning("%s #%d was claimed again elsewhere; leaving it", message.kind, message.id)
            return 0
        thread = await self._db.read(outbox.thread_start, message)
        failure = await self._send(message, thread)
        # Out of the renewals before the outcome is written: a renewal after it would move a
        # retry's due time.
        held.remove(message)
        if failure is not None:
            error, permanent = failure
            await self._record_failure(message, error, permanent=permanent)
            return 0
        await self._db.write(outbox.mark_sent, message.id, self._clock())
        self._metrics.mail_sent.inc()
        log.info("sent %s #%d to %r", message.kind, message.id, message.recipient)
        return 1

    async def _send(
        self, message: outbox.OutgoingMessage, thread: tuple[int, datetime] | None = None
    ) -> tuple[str, bool] | None:
        """None when the relay took the message, else why not and whether that is for good."""
        try:
            sender = self._config.smtp.sender
            email = to_email(message, sender=sender, domain=self._domain, thread=thread)
            await self._transport.send(email)
        except UnsendableMessage as exc:
            return f"cannot build the message: {exc}", True
        except DeliveryError as exc:
            return str(exc), exc.permanent
        except Exception as exc:  # the one boundary: an error nobody foresaw fails this message
            log.exception("delivery of %s #%d failed unexpectedly", message.kind, message.id)
            return f"{type(exc).__name__}: {exc}", False
        return None

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
