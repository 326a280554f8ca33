"""A Core statement run on SQLite's own cursor reads and writes exactly what Core does: the
same rows, each value processed as Core processes it (times, flags, JSON, labels, NULLs), the
same rows written, the same count of rows matched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from collector.commands import simulated_steps
from collector.domain.faults import FaultKey, FaultState
from collector.domain.maintenance import MaintenanceWindow
from collector.domain.policy import Severity
from collector.store import fault_mail, maintenance
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.driver_statement import DriverStatement
from collector.store.schema import contacts, contracts, customers, faults, hosts, incident_events
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, 0, 123456, tzinfo=UTC)
#: Not UTC: bound as Core binds it, in naive UTC.
LATER = datetime(2026, 11, 9, 12, 30, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    with migrated_database(sqlite_url) as database:
        database.transaction(_fleet)
        yield database


def _fleet(conn: sa.Connection) -> None:
    conn.execute(sa.insert(customers).values(id="acme", name="Acmé", created_at=T0))
    conn.execute(
        sa.insert(hosts).values(
            id="pbx", customer_id="acme", name="pbx ✓", kind="pbx", key="k", created_at=T0
        )
    )
    conn.execute(
        sa.insert(contacts),
        [dict(customer_id="acme", name=n, email=f"{n}@acme.example") for n in ("jo", "al")],
    )
    conn.execute(sa.insert(contracts).values(customer_id="acme", tier="cat2", starts_on=T0))
    for check_key, suppressed_by in (("host.down", None), ("port:5038", "host.down")):
        state = FaultState(
            FaultKey("acme", "pbx", check_key), Severity.MAJOR, T0, suppressed_by=suppressed_by
        )
        fault_store.save_state(conn, None, state, "Title", T0)


def _both(
    db: Database, statement: DriverStatement, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of ``statement`` by Core, then by the driver, each in its own transaction."""

    def by_core(conn: sa.Connection) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.execute(statement._statement, params)]

    core = db.transaction(by_core)
    return core, db.transaction(statement.rows, params)


def test_it_reads_what_core_reads(db: Database) -> None:
    _, _, read = fault_mail._statements("sqlite")
    core, driver = _both(db, read, {"fault_id": 1, "at": LATER})
    assert driver == core
    row = dict(zip(read.keys, driver[0], strict=True))
    assert row["opened_at"] == T0 and row["resolved_at"] is None and row["flapping"] is False
    assert row["explains_others"] is True and row["incident_covered"] is None
    assert sorted(email for _, email in row["contacts"]) == ["al@acme.example", "jo@acme.example"]
    assert (row["host_name"], row["customer_name"], row["contract_tier"]) == (
        "pbx ✓",
        "Acmé",
        "cat2",
    )


def test_the_engines_hot_reads_read_what_core_reads(db: Database) -> None:
    def window(conn: sa.Connection) -> None:
        spec = MaintenanceWindow("0", "once", T0, LATER, host_id="pbx", reason="swap ✓")
        maintenance.add_window(conn, spec, "acme", "ops", T0)

    db.transaction(window)
    windows = db.transaction(maintenance.active_windows)
    assert [(w.window_id, w.ends_at, w.reason) for w in windows] == [("1", LATER, "swap ✓")]
    for statement, params in (
        (fault_store._OPEN_STATES, {"customer_id": "acme"}),
        (maintenance._ACTIVE, {}),
    ):
        core, driver = _both(db, statement, params)
        assert driver == core and driver


def test_the_incidents_hot_statements_read_and_write_what_core_does(db: Database) -> None:
    def incidents(conn: sa.Connection) -> None:
        for fault_id in (1, 2):
            incident_store.open_incident(
                conn, fault_id=fault_id, customer_id="acme", tier="cat2", covered=True,
                severity="major", opened_at=T0, response_due_at=LATER, policy={"title": "Cat 2"},
            )  # fmt: skip

    db.transaction(incidents)
    core, driver = _both(db, incident_store._OPEN_COVERED, {})
    assert driver == core and len(driver) == 2
    core, driver = _both(db, simulated_steps._LATEST_OPEN, {"host": "pbx"})
    assert driver == core and len(driver) == 1
    resolve = incident_store._RESOLVE_OF_FAULT
    by_core = db.transaction(
        lambda conn: conn.execute(resolve._statement, {"of_fault": 1, "at": LATER}).all()
    )
    by_driver = db.transaction(resolve.rows, {"of_fault": 2, "at": LATER})
    assert [row[1:] for row in by_driver] == [tuple(row)[1:] for row in by_core]  # but the id
    assert by_driver[0][resolve.keys.index("policy")] == {"title": "Cat 2"}


def test_it_writes_and_returns_what_core_does(db: Database) -> None:
    update, insert, _ = fault_mail._statements("sqlite")
    state = FaultState(
        FaultKey("acme", "pbx", "disk:/"), Severity.CRITICAL, T0, resolved_at=LATER,
        flapping=True, notified_severity=Severity.MAJOR, last_notified_at=LATER, detail="é",
    )  # fmt: skip
    values = fault_store.state_values(state)
    core, driver = _both(db, update, {"fault_id": 2, "at": LATER, **values})
    assert driver == core and driver[0][update.keys.index("resolved_at")] == LATER
    opening = {**fault_store.opening_values(state, "Disk", values), "at": LATER}
    core, driver = _both(db, insert, opening)
    assert [row[1:] for row in driver] == [row[1:] for row in core]  # but for the new id
    stored = db.transaction(lambda conn: conn.execute(sa.select(faults)).all())
    assert stored[-1][1:] == stored[-2][1:]


def test_it_counts_the_rows_matched_as_core_does(db: Database) -> None:
    # A parameter name the compiler escapes is bound by the name it was given.
    key = sa.bindparam("check.key%")
    done = faults.update().where(faults.c.check_key == key).values(detail="x")
    statement = DriverStatement(done)
    assert db.transaction(statement.rowcount, {"check.key%": "port:5038"}) == 1
    assert db.transaction(statement.rowcount, {"check.key%": "nothing"}) == 0


def test_it_refuses_a_statement_that_core_completes_in_python(db: Database) -> None:
    # ``public`` left out: Core would fill in its default, the driver would not.
    statement = DriverStatement(sa.insert(incident_events))
    row = dict(incident_id=1, at=T0, kind="opened", actor="", detail="")
    with pytest.raises(ValueError, match="default"):
        db.transaction(statement.rowcount, row)
