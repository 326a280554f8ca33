"""A customer with a host, contacts, a contract and two faults, on SQLite: what the hot
statements' tests (``hot_statements``) read and write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.store import faults as fault_store
from collector.store.database import Database
from collector.store.schema import contacts, contracts, customers, hosts
from tests.support.database import migrated_database

#: When the fleet's faults opened, with microseconds.
ACME_AT = datetime(2026, 11, 9, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def acme_db(sqlite_url: str) -> Iterator[Database]:
    with migrated_database(sqlite_url) as database:
        database.transaction(_acme)
        yield database


def _acme(conn: sa.Connection) -> None:
    conn.execute(sa.insert(customers).values(id="acme", name="Acmé", created_at=ACME_AT))
    conn.execute(
        sa.insert(hosts).values(
            id="pbx", customer_id="acme", name="pbx ✓", kind="pbx", key="k", created_at=ACME_AT
        )
    )
    conn.execute(
        sa.insert(contacts),
        [dict(customer_id="acme", name=n, email=f"{n}@acme.example") for n in ("jo", "al")],
    )
    conn.execute(sa.insert(contracts).values(customer_id="acme", tier="cat2", starts_on=ACME_AT))
    for check_key, suppressed_by in (("host.down", None), ("port:5038", "host.down")):
        state = FaultState(
            FaultKey("acme", "pbx", check_key), Severity.MAJOR, ACME_AT, suppressed_by=suppressed_by
        )
        fault_store.save_state(conn, None, state, "Title", ACME_AT)
