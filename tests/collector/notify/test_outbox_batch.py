"""Queueing every recipient's copy of one change at once, on SQLite and PostgreSQL: the rows
are those queueing them one by one writes, in the same order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from collector.notify import outbox
from collector.notify.messages import Mail
from collector.store.database import Database
from collector.store.schema import outbox as outbox_table

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
MAILS = [
    Mail("fault_opened", "jo@acme.example", "FAULT: disk full", "body", "<p>html</p>"),
    Mail("fault_opened", "noc@vendor.example", "MAJOR: " + "x" * 500, "noc body", None),
    Mail("not_covered", "sales@vendor.example", "NO CONTRACT: disk full", "sales body"),
]


def _rows(conn: Connection) -> list[dict[str, Any]]:
    """Every column but the id, in id order."""
    columns = [c for c in outbox_table.columns if c.name != "id"]
    query = select(*columns).order_by(outbox_table.c.id)
    return [dict(row._mapping) for row in conn.execute(query)]


def _one_by_one(conn: Connection) -> None:
    for mail in MAILS:
        outbox.enqueue(
            conn, kind=mail.kind, recipient=mail.recipient, subject=mail.subject,
            body=mail.body, now=NOW, html=mail.html,
        )  # fmt: skip


def _at_once(conn: Connection) -> None:
    outbox.enqueue_many(conn, MAILS, now=NOW)


def _cleared(conn: Connection) -> None:
    conn.execute(outbox_table.delete())


def test_copies_queued_at_once_are_the_rows_queued_one_by_one_in_order(db: Database) -> None:
    db.transaction(_one_by_one)
    one_by_one = db.transaction(_rows)
    db.transaction(_cleared)
    db.transaction(_at_once)
    assert db.transaction(_rows) == one_by_one
    assert [row["recipient"] for row in one_by_one] == [mail.recipient for mail in MAILS]
    assert len(one_by_one[1]["subject"]) == outbox.SUBJECT_MAX  # cut to fit, as one by one


def test_nothing_to_queue_writes_nothing(db: Database) -> None:
    db.transaction(lambda conn: outbox.enqueue_many(conn, [], now=NOW))
    assert db.transaction(_rows) == []
