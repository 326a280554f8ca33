"""Claiming outbox messages, on SQLite and PostgreSQL: each claim is one attempt, a message
with none left is given up, and a claim whose sender died is taken again within the lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from collector.notify import outbox
from collector.store.database import Database
from collector.store.schema import outbox as outbox_table

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def _queue(conn: Connection, recipient: str = "jo@acme.example") -> int:
    return outbox.enqueue(
        conn, kind="fault_opened", recipient=recipient, subject="MAJOR: test", body="hello",
        now=NOW,
    )  # fmt: skip


def _row(conn: Connection, message_id: int) -> Any:
    return conn.execute(select(outbox_table).where(outbox_table.c.id == message_id)).one()


def _claimed_ids(db: Database, at: datetime, max_attempts: int = 8) -> list[int]:
    return [m.id for m in db.transaction(outbox.claim_due, at, max_attempts=max_attempts)]


def test_it_skips_messages_that_have_had_max_attempts_and_then_gives_them_up(
    db: Database,
) -> None:
    worn = db.transaction(_queue)
    at = NOW
    for _ in range(3):  # three claims whose sender never came back
        assert _claimed_ids(db, at, max_attempts=3) == [worn]
        at += outbox.CLAIM_LEASE
    assert db.transaction(_row, worn).attempts == 3
    assert _claimed_ids(db, at, max_attempts=3) == []
    assert db.transaction(_row, worn).status == "pending"

    fresh = db.transaction(_queue, "noc@vendor.example")

    assert db.transaction(outbox.give_up_exhausted, at, max_attempts=3) == 1
    row = db.transaction(_row, worn)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts")
    assert db.transaction(_row, fresh).status == "pending"
    assert _claimed_ids(db, at, max_attempts=3) == [fresh]
    assert db.transaction(outbox.give_up_exhausted, at, max_attempts=3) == 0


def test_it_retakes_within_the_lease_what_a_dead_sender_had_claimed(db: Database) -> None:
    assert timedelta(seconds=30) >= outbox.CLAIM_LEASE
    ids = [db.transaction(_queue) for _ in range(3)]
    dead = db.transaction(outbox.claim_due, NOW, max_attempts=8)  # and never heard of again
    assert [m.id for m in dead] == ids
    assert _claimed_ids(db, NOW + outbox.CLAIM_LEASE - timedelta(seconds=1)) == []

    retaken = db.transaction(outbox.claim_due, NOW + outbox.CLAIM_LEASE, max_attempts=8)
    assert [(m.id, m.attempts) for m in retaken] == [(i, 2) for i in ids]
    # Should the old sender wake up, its claims are gone: it can neither renew them nor move
    # the new claimant's lease with a failure of its own.
    assert db.transaction(outbox.renew_claims, dead, NOW + outbox.CLAIM_LEASE) == []
    later = NOW + timedelta(hours=1)
    assert not db.transaction(outbox.mark_failed, ids[0], "late", retry_at=later, attempt=1)
    assert db.transaction(_row, ids[0]).next_attempt_at == NOW + 2 * outbox.CLAIM_LEASE


def test_it_leaves_alone_a_claim_its_live_sender_renews(db: Database) -> None:
    message_id = db.transaction(_queue)
    held = db.transaction(outbox.claim_due, NOW, max_attempts=8)
    renewed_at = NOW + timedelta(seconds=20)
    assert db.transaction(outbox.renew_claims, held, renewed_at) == [message_id]
    assert _claimed_ids(db, NOW + outbox.CLAIM_LEASE) == []
    assert _claimed_ids(db, renewed_at + outbox.CLAIM_LEASE) == [message_id]
