"""Hot inserts as plain SQL on SQLite's cursor store exactly what SQLAlchemy Core stores, and
give back the new row's id, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from collector.store.database import Database
from collector.store.plain_insert import PlainInsert
from collector.store.schema import customers, faults, incident_events, incidents, outbox
from tests.support.database import migrated_database

#: Not UTC, with microseconds: a time must be stored as Core stores it, in naive UTC.
AT = datetime(2026, 12, 1, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))


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
        plain = PlainInsert(table, list(rows[0]))

        def by_core(conn: sa.Connection) -> list[tuple[Any, ...]]:
            conn.execute(sa.insert(table), rows)
            stored = _stored(conn, table)
            conn.execute(sa.delete(table))
            return stored

        def by_plain_sql(conn: sa.Connection) -> list[tuple[Any, ...]]:
            first = plain.one(conn, rows[0])
            assert first == conn.scalar(sa.select(sa.func.max(table.c.id)))  # the new row's
            plain.many(conn, rows[1:])
            return _stored(conn, table)

        stored_by_core = db.transaction(by_core)
        assert db.transaction(by_plain_sql) == stored_by_core


def test_it_gives_back_each_new_id_and_keeps_the_order(db: Database) -> None:
    db.transaction(_parents)
    events = PlainInsert(
        incident_events, ("incident_id", "at", "kind", "actor", "detail", "public")
    )
    incident = INCIDENT[0]

    def write(conn: sa.Connection) -> list[tuple[int, str]]:
        incident_id = PlainInsert(incidents, list(incident)).one(conn, incident)
        row = dict(incident_id=incident_id, at=AT, actor="", detail="", public=False)
        first = events.one(conn, {**row, "kind": "opened"})
        events.many(conn, [{**row, "kind": kind} for kind in ("a", "b")])
        query = sa.select(incident_events.c.id, incident_events.c.kind)
        found = [(event_id, kind) for event_id, kind in conn.execute(query.order_by("id"))]
        assert found[0] == (first, "opened")
        assert conn.scalar(sa.select(incidents.c.opened_at)) == AT.astimezone(UTC)
        return found

    assert [kind for _, kind in db.transaction(write)] == ["opened", "a", "b"]


def test_it_refuses_to_leave_out_a_column_with_a_default() -> None:
    # Core would fill ``public`` in; plain SQL would leave it to the database.
    with pytest.raises(ValueError, match="public"):
        PlainInsert(incident_events, ("incident_id", "at", "kind", "actor", "detail"))
