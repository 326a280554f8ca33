"""The inventory's writes, on SQLite and PostgreSQL: customers, contacts, contracts, hosts and
their checks are stored as given and refused as before (an id taken, a customer missing or
archived); a check added is returned as a read of it gives it back, created or updated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.schema import customers, host_checks, hosts
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with migrated_database(database_url) as database:
        yield database


def _fleet(conn: sa.Connection) -> None:
    for customer in ("acme", "globex"):
        inventory.add_customer(conn, customer, customer.title(), T0, timezone="Europe/London")
        inventory.set_contacts(conn, customer, [("Jo", f"jo@{customer}.example")])
        inventory.add_contract(conn, customer, "premium", T0 - timedelta(days=1), None)
        for n in range(2):
            inventory.add_host(conn, f"{customer}-{n}", customer, T0, kind="pbx", interval_s=30)


def test_it_stores_customers_contacts_contracts_and_hosts_as_given(db: Database) -> None:
    db.transaction(_fleet)
    hosts = db.transaction(inventory.list_hosts, "globex")
    assert [(h.id, h.kind, h.interval_s, h.created_at) for h in hosts] == [
        ("globex-0", "pbx", 30, T0), ("globex-1", "pbx", 30, T0),
    ]  # fmt: skip
    assert db.transaction(inventory.contacts_of, "acme") == [("Jo", "jo@acme.example")]
    contract = db.transaction(inventory.current_contract, "globex", T0)
    assert contract == inventory.Contract("premium", T0 - timedelta(days=1), None, 0)
    assert db.transaction(inventory.zone_and_contacts, "globex") == (
        "Europe/London", ["jo@globex.example"],
    )  # fmt: skip


def test_it_refuses_an_id_taken_and_a_customer_missing_or_archived(db: Database) -> None:
    db.transaction(_fleet)
    with pytest.raises(inventory.AlreadyExists, match="customer 'acme' exists already"):
        db.transaction(inventory.add_customer, "acme", "Acme", T0)
    with pytest.raises(inventory.AlreadyExists, match="host 'acme-0' exists already"):
        db.transaction(inventory.add_host, "acme-0", "globex", T0)
    with pytest.raises(inventory.NotFound, match="no customer 'initech'"):
        db.transaction(inventory.add_host, "initech-0", "initech", T0)
    for table, row in ((hosts, "globex-0"), (customers, "globex")):
        archive = sa.update(table).where(table.c.id == row).values(archived_at=T0)
        db.transaction(lambda conn, statement=archive: conn.execute(statement))
    with pytest.raises(inventory.AlreadyExists, match=r"'globex-0' exists already \(archived"):
        db.transaction(inventory.add_host, "globex-0", "acme", T0)
    with pytest.raises(inventory.NotFound, match="no customer 'globex'"):
        db.transaction(inventory.add_host, "globex-2", "globex", T0)
    with pytest.raises(inventory.NotFound, match="no customer 'globex'"):
        db.transaction(inventory.add_contract, "globex", "premium", T0, None)


def test_a_check_added_or_updated_is_returned_as_read_back(db: Database) -> None:
    db.transaction(_fleet)
    options = {"user": "monitor", "port": 22}
    added = [
        db.transaction(
            probe_store.add_check,
            "acme-0",
            "ssh",
            "pbx:22",
            T0,
            name=name,
            options=options,
            interval_s=30,
            remote_access=access,
        )
        for name, access in (("", None), ("jump", True))
    ]
    later = T0 + timedelta(hours=1)
    updated = db.transaction(
        probe_store.add_check, "acme-0", "ssh", "pbx:2222", later, name="jump", enabled=False
    )
    assert updated.id == added[1].id
    created = sa.select(host_checks.c.created_at).where(host_checks.c.id == updated.id)
    assert db.transaction(lambda conn: conn.scalar(created)) == T0  # an update keeps it
    for check in (added[0], updated):
        assert db.transaction(probe_store.get_check, check.id) == check
    assert db.transaction(probe_store.list_checks, "acme-0") == [added[0], updated]
