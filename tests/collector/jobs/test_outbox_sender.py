"""The outbox sender against a real SMTP server: delivered, retried, or given up visibly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig, MailSettings, SmtpSettings
from collector.jobs.mail_sender import OutboxSender, retry_delay
from collector.notify import outbox
from collector.notify.compose import to_email
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.store.database import Database
from collector.store.schema import outbox as outbox_table
from tests.support.collector import collector_config
from tests.support.smtp import Inbox, free_port, smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 03:00 on a Monday: mail goes out 24/7
DOMAIN = "collector.vendor.example"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests run on SQLite alone."""
    return sqlite_url


class RefusingHandler:
    """An SMTP server that refuses every recipient for good (550)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 no such user"


class StoresThenDefersOnce(Inbox):
    """A relay that keeps the first copy it is given yet answers 451, as one that stored a
    message and lost the connection before saying so: the sender must try again."""

    deferred: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        if not self.deferred:
            self.deferred = True
            return "451 4.3.0 try again later"
        return "250 OK"


@dataclass
class HoldingRelay(Inbox):
    """A relay that holds each message until the test lets go, as a slow one would."""

    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return await super().handle_DATA(server, session, envelope)


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Wait for ``condition`` to hold, checking as the event loop turns."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


def _config(tmp_path: Path, port: int) -> CollectorConfig:
    return collector_config(
        "sqlite://",
        tmp_path,
        smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
        mail=MailSettings(max_attempts=3, retry_base_s=10, message_id_domain=DOMAIN),
    )


def _queue(conn: Connection) -> int:
    return outbox.enqueue(
        conn, kind="fault_opened", recipient="jo@acme.example", subject="MAJOR: test",
        body="hello", now=NOW,
    )  # fmt: skip


def _row(conn: Connection, message_id: int) -> Any:
    return conn.execute(select(outbox_table).where(outbox_table.c.id == message_id)).one()


def _sender(db: Database, config: CollectorConfig, clock: list[datetime]) -> OutboxSender:
    return OutboxSender(db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock[0])


async def test_it_delivers_due_mail_over_smtp_and_marks_it_sent(
    db: Database, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        message_id = db.transaction(_queue)
        sender = _sender(db, _config(tmp_path, port), [NOW])
        assert await sender.deliver_due() == 1
        assert await sender.deliver_due() == 0  # sent once, not again
    (mail,) = inbox.messages
    assert (mail["To"], mail["Subject"]) == ("jo@acme.example", "MAJOR: test")
    row = db.transaction(_row, message_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)


async def test_it_drains_more_than_one_claim_of_mail_in_one_look(
    db: Database, tmp_path: Path
) -> None:
    count = outbox.CLAIM_BATCH + 3
    with smtp_server() as (inbox, port):
        ids = [db.transaction(_queue) for _ in range(count)]
        sender = _sender(db, _config(tmp_path, port), [NOW])
        assert await sender.deliver_due() == count
    assert len(inbox.messages) == count
    assert {db.transaction(_row, i).status for i in ids} == {"sent"}


async def test_it_retries_with_backoff_while_the_relay_is_down(
    db: Database, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    message_id = db.transaction(_queue)
    clock = [NOW]
    sender = _sender(db, _config(tmp_path, port), clock)
    assert await sender.deliver_due() == 0
    row = db.transaction(_row, message_id)
    assert row.status == "pending" and row.last_error and row.next_attempt_at > NOW
    assert await sender.deliver_due() == 0  # not due again yet
    assert db.transaction(_row, message_id).attempts == 1

    clock[0] = row.next_attempt_at
    with smtp_server() as (inbox, live_port):
        sender = _sender(db, _config(tmp_path, live_port), clock)
        assert await sender.deliver_due() == 1
    assert len(inbox.messages) == 1
    assert db.transaction(_row, message_id).status == "sent"


async def test_it_gives_up_on_a_permanent_refusal_and_keeps_the_error_visible(
    db: Database, tmp_path: Path
) -> None:
    port = free_port()
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message_id = db.transaction(_queue)
        assert await _sender(db, _config(tmp_path, port), [NOW]).deliver_due() == 0
    finally:
        controller.stop()
    row = db.transaction(_row, message_id)
    assert row.status == "failed" and "no such user" in row.last_error
    assert db.transaction(outbox.depth_by_status) == {"failed": 1}


async def test_it_sends_a_row_with_the_same_message_id_on_every_attempt(
    db: Database, tmp_path: Path
) -> None:
    relay = StoresThenDefersOnce()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message_id = db.transaction(_queue)
        clock = [NOW]
        sender = _sender(db, _config(tmp_path, port), clock)
        assert await sender.deliver_due() == 0
        clock[0] = db.transaction(_row, message_id).next_attempt_at
        assert await sender.deliver_due() == 1
    finally:
        controller.stop()
    first, second = relay.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"] == f"<outbox-{message_id}.{int(NOW.timestamp())}@{DOMAIN}>"
    assert db.transaction(_row, message_id).attempts == 2


async def test_it_delivers_within_the_lease_what_a_dead_sender_had_claimed(
    db: Database, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = _config(tmp_path, port)
        ids = [db.transaction(_queue) for _ in range(3)]
        # A sender claims the batch, hands the first message to the relay, and is killed.
        dead = db.transaction(outbox.claim_due, NOW, max_attempts=3)
        stored = to_email(dead[0], sender=config.smtp.sender, domain=DOMAIN)
        await SmtpTransport(config.smtp).send(stored)

        clock = [NOW + timedelta(seconds=5)]
        sender = _sender(db, config, clock)
        assert await sender.deliver_due() == 0  # the dead sender's claims still stand
        clock[0] = NOW + outbox.CLAIM_LEASE
        assert await sender.deliver_due() == 3
    assert [db.transaction(_row, i).status for i in ids] == ["sent"] * 3
    # The copy the relay took before the crash comes again under the same Message-ID.
    message_ids = [m["Message-ID"] for m in inbox.messages]
    assert len(message_ids) == 4 and message_ids.count(stored["Message-ID"]) == 2


async def test_it_renews_its_claims_while_a_slow_relay_holds_a_message(
    db: Database, tmp_path: Path
) -> None:
    relay = HoldingRelay()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = _config(tmp_path, port)
        first, second = db.transaction(_queue), db.transaction(_queue)
        clock = [NOW]
        sender = OutboxSender(
            db, SmtpTransport(config.smtp), config, Metrics(), lambda: clock[0],
            renew_every=timedelta(milliseconds=10),
        )  # fmt: skip
        run = asyncio.create_task(sender.deliver_due())
        assert await asyncio.to_thread(relay.arrived.wait, 30)
        clock[0] = NOW + timedelta(seconds=25)  # the relay is still at the first message
        renewed = clock[0] + outbox.CLAIM_LEASE

        def leases() -> list[datetime]:
            return [db.transaction(_row, i).next_attempt_at for i in (first, second)]

        await _until(lambda: leases() == [renewed, renewed])
        # Past the lease taken at NOW, another collector still finds nothing to claim.
        later = NOW + outbox.CLAIM_LEASE + timedelta(seconds=10)
        assert db.transaction(outbox.claim_due, later, max_attempts=3) == []
        relay.release.set()
        assert await run == 2
    finally:
        relay.release.set()
        controller.stop()
    assert len(relay.messages) == 2
    assert [db.transaction(_row, i).attempts for i in (first, second)] == [1, 1]


def test_it_backs_off_exponentially_with_jitter_up_to_an_hour() -> None:
    assert retry_delay(1, 30, rng=lambda: 0.0) == 15
    assert retry_delay(1, 30, rng=lambda: 1.0) == 30
    assert retry_delay(3, 30, rng=lambda: 1.0) == 120
    assert retry_delay(30, 30, rng=lambda: 1.0) == 3600
    assert timedelta(seconds=retry_delay(2, 30)) <= timedelta(minutes=1)
