"""The "sign-in blocked" mail names the end of the block in its reader's zone: a customer
user's customer's own (as their fault mails do), an operator's chosen one for the NOC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.operations.signin import ACCOUNT_LIMIT, failed
from collector.store import customer_users, inventory, operators, schema
from collector.store.database import Database

# Ten failures at 22:32 UTC block sign-in until 22:47 UTC: 17:47 in New York's winter time.
NOW = datetime(2026, 12, 7, 22, 32, tzinfo=UTC)
USER = "pat@acme.example"


def _fail_until_blocked(db: Database, config: CollectorConfig, name: str) -> str:
    for _ in range(ACCOUNT_LIMIT):
        db.transaction(failed, name, "192.0.2.9", NOW, config)
    query = select(schema.outbox.c.body).where(schema.outbox.c.kind == "account_lockout")
    [body] = db.transaction(lambda conn: conn.execute(query).scalars().all())
    return str(body)


def _customer_user(conn: Connection, timezone: str | None, tier: str | None = None) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", NOW)
    inventory.set_customer_terms(conn, "acme", access=None, timezone=timezone, region=None)
    if tier is not None:
        inventory.add_contract(conn, "acme", tier, NOW.replace(month=1), None)
    customer_users.add_user(conn, "acme", USER, "customer-admin", NOW)


def test_it_tells_a_customer_user_in_their_customers_zone(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer_user, "America/New_York")
    body = _fail_until_blocked(db, config, USER)
    assert "blocked until Mon 07 Dec 2026 17:47 EST." in body
    assert "UTC" not in body


def test_it_falls_back_to_the_customers_contract_calendar(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(_customer_user, None, "cat1")  # cat1's calendar keeps London time
    body = _fail_until_blocked(db, config, USER)
    assert "blocked until Mon 07 Dec 2026 22:47 GMT." in body


def test_it_tells_the_noc_about_an_operator_in_the_operators_zone(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(
        operators.add_operator, "olga", "a long enough password", NOW, "admin", "Asia/Tokyo"
    )
    body = _fail_until_blocked(db, config, "olga")
    assert "blocked until Tue 08 Dec 2026 07:47 JST." in body
