"""Hot statements write with Core's own SQL on SQLite's cursor: they must write exactly what
Core writes (each value processed as Core processes it), return the rows and ids Core
returns, and count the rows matched as Core does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from collector.commands import simulated_steps
from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.store import fault_mail
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.hot_statements import HotStatement, hot_insert
from collector.store.schema import customers, faults, incident_events, incidents, outbox
from tests.collector.store.conftest import ACME_AT
from tests.support.database import migrated_database

#: Not UTC, with microseconds: a time must be stored as Core stores it, in naive UTC.
AT = datetime(2026, 12, 1, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
#: Not UTC: bound as Core binds it, in naive UTC.
LATER = datetime(2026, 11, 9, 12, 30, tzinfo=timezone(timedelta(hours=1)))


def _both(
    db: Database, statement: HotStatement, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of ``statement`` by Core, then hot, each in its own transaction."""

    def by_core(conn: sa.Connection) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.execute(statement.statement, params)]

    core = db.transaction(by_core)
    return core, [tuple(row) for row in db.transaction(statement.rows, params)]


def _parents(conn: sa.Connection, with_fault: bool = True) -> None:
    conn.execute(sa.insert(customers).values(id="acme", name="Acme", created_at=AT))
    if not with_fault:
        return
    conn.execute(
        sa.insert(faults).values(
            id=1, customer_id="acme", check_key="disk:/", severity="major", title="Disk",
            opened_at=AT,
        )
    )  # fmt: skip


#: Rows of each table as the engine writes them: times, flags, JSON, text beyond ASCII, NULLs.
ROWS: list[tuple[sa.Table, list[dict[str, Any]]]] = [
    (
        faults,
        [
            dict(
                customer_id="acme", host_id=None, check_key="site.down", title="Site ✗",
                opened_at=AT, severity="critical", detail="all 2 hosts", resolved_at=resolved,
                last_notified_at=None, suppressed_by=None, flapping=flapping,
                notified_severity=None, recovery_notified=False,
            )
            for resolved, flapping in ((None, False), (AT + timedelta(minutes=5), True))
        ],
    ),
    (
        incidents,
        [
            dict(
                fault_id=1, customer_id="acme", tier="Cat1", covered=True, severity="major",
                status="open", opened_at=AT, response_due_at=None,
                policy={"targets": {"first_response": 3600}, "calendar": "24x7", "n": 1.5},
            )
        ],
    ),
    (
        incident_events,
        [
            dict(incident_id=1, at=AT, kind="opened", actor="desk", detail="é ✓", public=False),
            dict(incident_id=1, at=AT, kind="comment", actor="jo", detail="", public=True),
        ],
    ),
    (
        outbox,
        [
            dict(
                created_at=AT, fault_id=fault_id, kind="fault_opened", recipient="jo@acme.example",
                subject="FAULT: Disk", body="body ✓", html=html, status="pending", attempts=0,
                next_attempt_at=AT + timedelta(seconds=1),
            )
            for fault_id, html in ((1, "<p>x</p>"), (None, None))
        ],
    ),
]  # fmt: skip


INCIDENT = dict(ROWS)[incidents]


def _stored(conn: sa.Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    """Each row as SQLite holds it, but for its id: the driver's values, with their types."""
    names = ", ".join(f"{c.name}, typeof({c.name})" for c in table.c if c.name != "id")
    driver = conn.connection.driver_connection
    rows = driver.execute(f"SELECT {names} FROM {table.name} ORDER BY id")  # type: ignore[union-attr]
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(("table", "rows"), ROWS, ids=[table.name for table, _ in ROWS])
def test_it_stores_on_sqlite_what_core_stores(
    sqlite_url: str, table: sa.Table, rows: list[dict[str, Any]]
) -> None:
    with migrated_database(sqlite_url) as db:
        db.transaction(_parents, table is not faults)
        if table is incident_events:  # their incident first
            db.transaction(lambda conn: conn.execute(sa.insert(incidents), INCIDENT))
        plain = hot_insert(table, list(rows[0]))

        def by_core(conn: sa.Connection) -> list[tuple[Any, ...]]:
            conn.execute(sa.insert(table), rows)
            stored = _stored(conn, table)
            conn.execute(sa.delete(table))
            return stored

        def hot(conn: sa.Connection) -> list[tuple[Any, ...]]:
            first = plain.insert(conn, rows[0])
            assert first == conn.scalar(sa.select(sa.func.max(table.c.id)))  # the new row's
            plain.execute_many(conn, rows[1:])
            return _stored(conn, table)

        stored_by_core = db.transaction(by_core)
        assert db.transaction(hot) == stored_by_core


def test_it_gives_back_each_new_id_and_keeps_the_order(db: Database) -> None:
    db.transaction(_parents)
    events = hot_insert(incident_events, ("incident_id", "at", "kind", "actor", "detail", "public"))
    incident = INCIDENT[0]

    def write(conn: sa.Connection) -> list[tuple[int, str]]:
        incident_id = hot_insert(incidents, list(incident)).insert(conn, incident)
        row = dict(incident_id=incident_id, at=AT, actor="", detail="", public=False)
        first = events.insert(conn, {**row, "kind": "opened"})
        events.execute_many(conn, [{**row, "kind": kind} for kind in ("a", "b")])
        query = sa.select(incident_events.c.id, incident_events.c.kind)
        found = [(event_id, kind) for event_id, kind in conn.execute(query.order_by("id"))]
        assert found[0] == (first, "opened")
        assert conn.scalar(sa.select(incidents.c.opened_at)) == AT.astimezone(UTC)
        return found

    assert [kind for _, kind in db.transaction(write)] == ["opened", "a", "b"]


def test_an_insert_refuses_to_leave_out_a_column_with_a_default() -> None:
    # Core would fill ``public`` in; the driver would leave it to the database.
    with pytest.raises(ValueError, match="public"):
        hot_insert(incident_events, ("incident_id", "at", "kind", "actor", "detail"))


def test_the_incidents_hot_statements_read_and_write_what_core_does(acme_db: Database) -> None:
    def incidents(conn: sa.Connection) -> None:
        for fault_id in (1, 2):
            incident_store.open_incident(
                conn, fault_id=fault_id, customer_id="acme", tier="cat2", covered=True,
                severity="major", opened_at=ACME_AT, response_due_at=LATER,
                policy={"title": "Cat 2"},
            )  # fmt: skip

    acme_db.transaction(incidents)
    core, driver = _both(acme_db, incident_store._OPEN_COVERED, {})
    assert driver == core and len(driver) == 2
    core, driver = _both(acme_db, simulated_steps._LATEST_OPEN, {"host": "pbx"})
    assert driver == core and len(driver) == 1
    resolve = incident_store._RESOLVE_OF_FAULT
    by_core = acme_db.transaction(
        lambda conn: conn.execute(resolve.statement, {"of_fault": 1, "at": LATER}).all()
    )
    by_driver = acme_db.transaction(resolve.rows, {"of_fault": 2, "at": LATER})
    assert [row[1:] for row in by_driver] == [tuple(row)[1:] for row in by_core]  # but the id
    assert by_driver[0][resolve.keys.index("policy")] == {"title": "Cat 2"}


def test_it_writes_and_returns_what_core_does(acme_db: Database) -> None:
    update, insert, _ = fault_mail._statements("sqlite")
    state = FaultState(
        FaultKey("acme", "pbx", "disk:/"), Severity.CRITICAL, ACME_AT, resolved_at=LATER,
        flapping=True, notified_severity=Severity.MAJOR, last_notified_at=LATER, detail="é",
    )  # fmt: skip
    values = fault_store.state_values(state)
    core, driver = _both(acme_db, update, {"fault_id": 2, "at": LATER, **values})
    assert driver == core and driver[0][update.keys.index("resolved_at")] == LATER
    opening = {**fault_store.opening_values(state, "Disk", values), "at": LATER}
    core, driver = _both(acme_db, insert, opening)
    assert [row[1:] for row in driver] == [row[1:] for row in core]  # but for the new id
    stored = acme_db.transaction(lambda conn: conn.execute(sa.select(faults)).all())
    assert stored[-1][1:] == stored[-2][1:]


def test_it_counts_the_rows_matched_as_core_does(acme_db: Database) -> None:
    # A parameter name the compiler escapes is bound by the name it was given.
    key = sa.bindparam("check.key%")
    done = faults.update().where(faults.c.check_key == key).values(detail="x")
    statement = HotStatement(done)
    assert acme_db.transaction(statement.rowcount, {"check.key%": "port:5038"}) == 1
    assert acme_db.transaction(statement.rowcount, {"check.key%": "nothing"}) == 0


def test_it_refuses_a_statement_that_core_completes_in_python(acme_db: Database) -> None:
    # ``public`` left out: Core would fill in its default, the driver would not. (Built
    # with ``hot_insert`` it is refused at once.)
    statement = HotStatement(sa.insert(incident_events))
    row = dict(incident_id=1, at=ACME_AT, kind="opened", actor="", detail="")
    with pytest.raises(ValueError, match="default"):
        acme_db.transaction(statement.rowcount, row)


def test_values_shared_by_every_row_are_stored_as_core_stores_them(sqlite_url: str) -> None:
    rows = dict(ROWS)[outbox]
    shared = {"created_at": AT, "next_attempt_at": AT + timedelta(hours=1)}
    hot = hot_insert(outbox, list(rows[0]))
    with migrated_database(sqlite_url) as db:
        db.transaction(_parents)

        def by_core(conn: sa.Connection) -> list[tuple[Any, ...]]:
            conn.execute(sa.insert(outbox), [{**row, **shared} for row in rows])
            stored = _stored(conn, outbox)
            conn.execute(sa.delete(outbox))
            return stored

        def by_hot(conn: sa.Connection) -> list[tuple[Any, ...]]:
            hot.execute_many(conn, [{**row, "created_at": None} for row in rows], shared)
            return _stored(conn, outbox)

        stored_by_core = db.transaction(by_core)
        assert db.transaction(by_hot) == stored_by_core
