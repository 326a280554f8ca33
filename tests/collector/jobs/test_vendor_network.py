"""The vendor's own network down: one mail to the NOC per episode, and one when it is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from collector.config.settings import CollectorConfig
from collector.jobs.vendor_network import sweep_vendor_network
from collector.store import vendor_outages
from collector.store.database import Database
from collector.store.schema import faults, outbox
from tests.support.incidents import add_customer, lose_access

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"monitoring": {"vendor_canary_hosts": ["gw"]}}


def _mails(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(select(outbox.c.recipient, outbox.c.subject).order_by(outbox.c.id))
    return [(row.recipient, row.subject) for row in rows]


def test_it_tells_the_noc_once_when_three_customers_lose_access_and_once_when_back(
    db: Database, config: CollectorConfig
) -> None:
    def lose(conn: Connection) -> None:
        for customer in ("acme", "globex", "initech"):
            add_customer(conn, customer, "cat1", MONDAY)
            lose_access(conn, f"{customer}-pbx", MONDAY, None)

    db.transaction(lose)
    for minutes in (1, 2):
        db.transaction(sweep_vendor_network, config, MONDAY + timedelta(minutes=minutes))
    noc = config.mail.noc
    assert db.transaction(_mails) == [
        (noc, "VENDOR NETWORK DOWN: 3 customers lost remote access at once: acme, globex, initech")
    ]

    def recover(conn: Connection) -> None:
        conn.execute(update(faults).values(resolved_at=MONDAY + timedelta(minutes=5)))

    db.transaction(recover)
    db.transaction(sweep_vendor_network, config, MONDAY + timedelta(minutes=6))
    db.transaction(sweep_vendor_network, config, MONDAY + timedelta(minutes=7))
    assert db.transaction(_mails)[1:] == [(noc, "RECOVERED: vendor network")]
    (episode,) = db.transaction(vendor_outages.history)
    assert episode.ended_at == MONDAY + timedelta(minutes=6)


def test_it_says_nothing_when_two_customers_lose_access_and_names_a_failing_canary(
    db: Database, config: CollectorConfig
) -> None:
    def lose(conn: Connection) -> None:
        for customer in ("acme", "globex"):
            add_customer(conn, customer, "cat1", MONDAY)
            lose_access(conn, f"{customer}-pbx", MONDAY, None)

    db.transaction(lose)
    db.transaction(sweep_vendor_network, config, MONDAY + timedelta(minutes=1))
    assert db.transaction(_mails) == []

    def canary(conn: Connection) -> None:
        add_customer(conn, "vendor", None, MONDAY, host="gw")
        lose_access(conn, "gw", MONDAY, None, "tcp")

    db.transaction(canary)
    db.transaction(sweep_vendor_network, config, MONDAY + timedelta(minutes=2))
    assert [subject for _, subject in db.transaction(_mails)] == [
        "VENDOR NETWORK DOWN: vendor-side canary unreachable: gw"
    ]
