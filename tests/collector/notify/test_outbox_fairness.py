"""Customers take turns at the outbox: one customer's storm of mail never holds another
customer's first message back more than a batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from collector.notify.outbox import claim_due, enqueue
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store.database import Database

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _fault(conn: Connection, customer: str) -> int:
    inventory.add_customer(conn, customer, customer.title(), NOW)
    inventory.add_host(conn, f"{customer}-1", customer, NOW)
    return fault_store.open_fault(
        conn,
        host_id=f"{customer}-1",
        check_key="agent.heartbeat",
        severity="critical",
        title="Agent not reporting",
        detail="",
        at=NOW,
    )


def _storm_then_one(conn: Connection) -> tuple[int, list[int]]:
    storm_fault, quiet_fault = _fault(conn, "stormy"), _fault(conn, "quiet")
    storm = [
        enqueue(conn, kind="fault", recipient=f"s{n}@x.example", subject="s", body="b",
                now=NOW - timedelta(minutes=10) + timedelta(seconds=n), fault_id=storm_fault)
        for n in range(200)
    ]  # fmt: skip
    quiet = enqueue(
        conn, kind="fault", recipient="q@x.example", subject="q", body="b", now=NOW,
        fault_id=quiet_fault,
    )  # fmt: skip
    return quiet, storm


def test_it_claims_another_customers_first_mail_in_the_next_batch(db: Database) -> None:
    quiet, storm = db.transaction(_storm_then_one)
    claimed = db.transaction(lambda conn: claim_due(conn, NOW, max_attempts=5, limit=10))
    ids = [message.id for message in claimed]
    assert quiet in ids[:2]
    assert [i for i in ids if i != quiet] == storm[:9]  # the storm's own mail stays in order


def test_it_still_takes_mail_about_no_fault_in_turn(db: Database) -> None:
    quiet, storm = db.transaction(_storm_then_one)
    page = db.transaction(
        lambda conn: enqueue(
            conn, kind="page", recipient="oncall@x.example", subject="p", body="b", now=NOW
        )
    )
    claimed = db.transaction(lambda conn: claim_due(conn, NOW, max_attempts=5, limit=3))
    assert {message.id for message in claimed} == {storm[0], quiet, page}
