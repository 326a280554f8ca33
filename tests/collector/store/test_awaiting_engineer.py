"""The paging sweep's read of the incidents waiting for an engineer, on SQLite and PostgreSQL:
those whose policy plainly does not page are left out in SQL, and what is left is exactly the
incidents whose ``pages_on_call`` Python finds true, whatever the policy holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import pages as page_store
from collector.store.database import Database
from collector.store.schema import customers, hosts
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
#: Each policy's ``pages_on_call`` (``MISSING``: no such key), and whether it pages.
MISSING = object()
FLAGS: list[tuple[Any, bool]] = [
    (True, True), (False, False), (MISSING, False), (None, False), (0, False), (1, True),
    (0.0, False), ("", False), ("yes", True), ("false", True), ([], False), ({}, False),
    ({"pages_on_call": False}, True),
]  # fmt: skip


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with migrated_database(database_url) as database:
        yield database


def _incidents(conn: sa.Connection) -> dict[int, bool]:
    """One incident per flag, each on its own fault; whether each pages, by incident id."""
    conn.execute(sa.insert(customers).values(id="acme", name="Acme", created_at=T0))
    conn.execute(
        sa.insert(hosts).values(
            id="pbx", customer_id="acme", name="pbx", kind="pbx", key="k", created_at=T0
        )
    )
    pages = {}
    for index, (flag, paging) in enumerate(FLAGS):
        state = FaultState(FaultKey("acme", "pbx", f"port:{index}"), Severity.CRITICAL, T0)
        fault_id = fault_store.save_state(conn, None, state, "Port closed", T0)
        policy: dict[str, Any] = {"tier": "premium"}
        if flag is not MISSING:
            policy["pages_on_call"] = flag
        incident_id = incident_store.open_incident(
            conn, fault_id=fault_id, customer_id="acme", tier="premium", covered=True,
            severity="critical", opened_at=T0, response_due_at=None, policy=policy,
        )  # fmt: skip
        pages[incident_id] = paging
    return pages


def test_it_reads_the_waiting_incidents_whose_policy_pages_and_no_others(db: Database) -> None:
    pages = db.transaction(_incidents)
    waiting = db.transaction(page_store.awaiting_engineer)
    assert [incident.id for incident in waiting] == [i for i, paging in pages.items() if paging]
