"""The outbox: messages written in the same transaction as the change they announce.

A sender claims due messages with a compare-and-set on ``attempts`` and a short lease
(``next_attempt_at`` moved ``CLAIM_LEASE`` ahead), so two collectors never send the same
message at once. A claim is the pair (id, attempts): while its sender lives it renews the
lease of every message it still holds, and a sender that dies (kill -9, a lost host) leaves
them to be claimed again once the lease runs out, within ``CLAIM_LEASE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, func, select, update

from collector.store.database import note
from collector.store.hot_statements import hot_insert
from collector.store.schema import faults, hosts, outbox

#: How long a claim stands after its sender last renewed it: a dead sender's messages wait
#: no longer than this. Its sender renews it well within that (``collector.jobs.mail_sender``).
CLAIM_LEASE = timedelta(seconds=30)
#: How many messages one claim takes at most.
CLAIM_BATCH = 50
#: Noted on a transaction that queued mail: the sender in this process is woken by its commit.
QUEUED = "outbox.queued"
#: The subject column's width; a subject is for reading, so a longer one is cut, not refused.
SUBJECT_MAX = 400


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str
    attempts: int
    fault_id: int | None
    created_at: datetime
    html: str | None = None


class Composed(Protocol):
    """A message as written, ready to queue (``collector.notify.messages.Mail`` is one)."""

    @property
    def kind(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def html(self) -> str | None: ...


#: Built once: building an insert costs more than running it, and mail is queued in bulk.
_INSERT = hot_insert(
    outbox,
    (
        "created_at", "fault_id", "kind", "recipient", "subject", "body", "html", "status",
        "attempts", "next_attempt_at",
    ),
)  # fmt: skip


def enqueue(
    conn: Connection,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    fault_id: int | None = None,
    html: str | None = None,
) -> int:
    row = _row(kind, recipient, subject, body, html, now, fault_id)
    message_id = _INSERT.insert(conn, row)
    note(conn, QUEUED)
    return message_id


def enqueue_many(
    conn: Connection, messages: Sequence[Composed], *, now: datetime, fault_id: int | None = None
) -> None:
    """Queue ``messages`` in one statement, in their order (their ids follow it), as
    ``enqueue`` would one by one: every recipient's copy of one change is written at once."""
    if not messages:
        return
    rows = [_row(m.kind, m.recipient, m.subject, m.body, m.html, now, fault_id) for m in messages]
    _INSERT.execute_many(conn, rows)
    note(conn, QUEUED)


def _row(
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    html: str | None,
    now: datetime,
    fault_id: int | None,
) -> dict[str, Any]:
    """The outbox row of a new message: pending, due now, its subject cut to the column."""
    return {
        "created_at": now,
        "fault_id": fault_id,
        "kind": kind,
        "recipient": recipient,
        "subject": subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…",
        "body": body,
        "html": html,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }


def thread_start(conn: Connection, message: OutgoingMessage) -> tuple[int, datetime] | None:
    """The first row to the same recipient about the same fault: the mail ``message`` answers
    (its own row when it is that first one); None for mail about no fault."""
    if message.fault_id is None:
        return None
    query = (
        select(outbox.c.id, outbox.c.created_at)
        .where(outbox.c.fault_id == message.fault_id, outbox.c.recipient == message.recipient)
        .order_by(outbox.c.id)
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else (row.id, row.created_at)


def claim_due(
    conn: Connection, now: datetime, *, max_attempts: int, limit: int = CLAIM_BATCH
) -> list[OutgoingMessage]:
    """Claim up to ``limit`` due messages for delivery by this sender; each claim is one
    attempt, and a message that has had ``max_attempts`` is not claimed again.

    Customers take turns: each one's oldest due message, then each one's second, and so on,
    so a storm of one customer's mail never holds another's first message back more than a
    batch. Mail about no fault (pages, reports) takes its turn as one more "customer"."""
    customer = (
        select(hosts.c.customer_id)
        .join(faults, faults.c.host_id == hosts.c.id)
        .where(faults.c.id == outbox.c.fault_id)
        .scalar_subquery()
    )
    turn = (
        func.row_number()
        .over(partition_by=customer, order_by=(outbox.c.next_attempt_at, outbox.c.id))
        .label("turn")
    )
    due = (
        select(outbox, turn)
        .where(
            outbox.c.status == "pending",
            outbox.c.next_attempt_at <= now,
            outbox.c.attempts < max_attempts,
        )
        .subquery()
    )
    rows = conn.execute(
        select(due).order_by(due.c.turn, due.c.next_attempt_at, due.c.id).limit(limit)
    ).all()
    claimed = []
    for row in rows:
        result = conn.execute(
            update(outbox)
            .where(
                outbox.c.id == row.id,
                outbox.c.attempts == row.attempts,
                outbox.c.status == "pending",
            )
            .values(attempts=row.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        )
        if result.rowcount == 1:
            claimed.append(
                OutgoingMessage(
                    row.id,
                    row.kind,
                    row.recipient,
                    row.subject,
                    row.body,
                    row.attempts + 1,
                    row.fault_id,
                    row.created_at,
                    row.html,
                )
            )
    return claimed


def renew_claims(conn: Connection, claims: Sequence[OutgoingMessage], now: datetime) -> list[int]:
    """Extend the lease of each claim that still stands; returns the ids of those. A claim
    that lapsed and was taken again (its attempts moved on), or whose message is no longer
    pending, is left alone."""
    held = []
    for claim in claims:
        result = conn.execute(
            update(outbox)
            .where(
                outbox.c.id == claim.id,
                outbox.c.attempts == claim.attempts,
                outbox.c.status == "pending",
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
        )
        if result.rowcount == 1:
            held.append(claim.id)
    return held


def mark_sent(conn: Connection, message_id: int, now: datetime) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status="sent", sent_at=now, last_error=None)
    )


def mark_failed(
    conn: Connection,
    message_id: int,
    error: str,
    *,
    retry_at: datetime | None,
    attempt: int | None = None,
) -> bool:
    """Record a failed attempt; ``retry_at`` None means give up (shown to operators).

    With ``attempt``, only while that attempt's claim stands: a sender whose claim lapsed
    and was taken again must not move the new claimant's lease. Returns whether recorded."""
    values: dict[str, Any] = {"last_error": error[:2000]}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    query = update(outbox).where(outbox.c.id == message_id, outbox.c.status == "pending")
    if attempt is not None:
        query = query.where(outbox.c.attempts == attempt)
    return conn.execute(query.values(**values)).rowcount == 1


def give_up_exhausted(conn: Connection, now: datetime, *, max_attempts: int) -> int:
    """Mark failed the due messages that have had ``max_attempts`` claims: the sender of
    the last one stopped before it could record how it went. Returns how many."""
    rows = conn.execute(
        select(outbox.c.id, outbox.c.attempts, outbox.c.last_error).where(
            outbox.c.status == "pending",
            outbox.c.next_attempt_at <= now,
            outbox.c.attempts >= max_attempts,
        )
    ).all()
    for row in rows:
        reason = f"gave up after {row.attempts} attempts: the sender stopped during the last"
        if row.last_error:
            reason += f" (the one before: {row.last_error})"
        mark_failed(conn, row.id, reason, retry_at=None, attempt=row.attempts)
    return len(rows)


def depth_by_status(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    return {status: int(count) for status, count in rows}


#: What a message's ``status`` may be: waiting (or being sent), delivered, or given up.
STATUSES = ("pending", "sent", "failed")


def recent(
    conn: Connection, limit: int = 100, fault_id: int | None = None, status: str | None = None
) -> list[Any]:
    """The newest messages first, optionally only one fault's or only those in ``status``."""
    query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if fault_id is not None:
        query = query.where(outbox.c.fault_id == fault_id)
    if status is not None:
        query = query.where(outbox.c.status == status)
    return list(conn.execute(query))
