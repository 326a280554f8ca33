"""The faults row is the one record of a fault's state: what the engine saves it reads back,
and rows written by the schema before it (state doubled in an ``engine_state`` JSON) migrate
without loss."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from collector.domain.faults import FaultKey, FaultState, notifications_due
from collector.domain.policy import NotificationPolicy, Severity
from collector.store import faults as fault_store
from collector.store.database import Database
from collector.store.engines import alembic_config, make_engine, migrate
from collector.store.schema import customers, faults, hosts
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
KEY = FaultKey("acme", "acme-pbx", "disk:/")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with migrated_database(database_url) as database:
        database.transaction(_customer_and_host)
        yield database


def _customer_and_host(conn: sa.Connection) -> None:
    conn.execute(sa.insert(customers).values(id="acme", name="Acme Ltd", created_at=T0))
    # interval_s: the schemas before 0003 require it.
    conn.execute(
        sa.insert(hosts).values(
            id="acme-pbx",
            customer_id="acme",
            name="pbx",
            kind="pbx",
            key="k",
            created_at=T0,
            interval_s=60.0,
        )
    )


STATES = [
    FaultState(KEY, Severity.MAJOR, T0, detail="/ 91% full"),
    FaultState(
        KEY,
        Severity.CRITICAL,
        T0,
        detail="/ 99% full",
        flapping=True,
        suppressed_by="host.down",
        notified_severity=Severity.MAJOR,
        last_notified_at=T0 + timedelta(minutes=1),
    ),
    FaultState(
        FaultKey("acme", None, "site.down"),
        Severity.CRITICAL,
        T0,
        resolved_at=T0 + timedelta(hours=2),
        notified_severity=Severity.CRITICAL,
        last_notified_at=T0 + timedelta(hours=2),
        recovery_notified=True,
    ),
]


@pytest.mark.parametrize("state", STATES)
def test_it_reads_back_the_state_the_engine_saved(db: Database, state: FaultState) -> None:
    fault_id = db.transaction(fault_store.save_state, None, state, "title", T0)
    assert db.transaction(_state_of, fault_id) == state


def _state_of(conn: sa.Connection, fault_id: int) -> FaultState:
    faults = fault_store.faults
    return fault_store.engine_state(
        conn.execute(sa.select(faults).where(faults.c.id == fault_id)).one()
    )


def test_it_owes_the_recovery_mail_of_a_resolved_fault_whose_opening_was_mailed(
    db: Database,
) -> None:
    mailed = replace(STATES[0], notified_severity=Severity.MAJOR, resolved_at=T0 + timedelta(1))
    never_mailed = replace(STATES[0], resolved_at=T0 + timedelta(1))
    owed = db.transaction(fault_store.save_state, None, mailed, "owed", T0)
    db.transaction(fault_store.save_state, None, never_mailed, "nothing owed", T0)
    db.transaction(fault_store.save_state, None, replace(mailed, recovery_notified=True), "", T0)
    assert [fault_id for fault_id, _ in db.transaction(fault_store.states_owing_mail)] == [owed]


def test_the_sweep_reads_only_the_faults_that_may_owe_mail_at_the_reminder_cutoff(
    db: Database,
) -> None:
    cutoff = T0 + timedelta(hours=1)
    mailed = replace(STATES[0], notified_severity=Severity.MAJOR, last_notified_at=cutoff)

    def saved(state: FaultState) -> int:
        return db.transaction(fault_store.save_state, None, state, "title", T0)

    def acknowledged(fault_id: int) -> int:
        db.transaction(fault_store.acknowledge, fault_id, by="jo", comment="", address="::1", at=T0)
        return fault_id

    owing = [
        saved(replace(mailed, notified_severity=None, last_notified_at=None)),  # held opening
        saved(mailed),  # last mailed at the cutoff: a reminder is due
        acknowledged(saved(replace(mailed, severity=Severity.CRITICAL))),  # escalated
        saved(replace(mailed, resolved_at=cutoff)),  # recovery owed
    ]
    saved(replace(mailed, last_notified_at=cutoff + timedelta(seconds=1)))  # reminded lately
    acknowledged(saved(mailed))  # someone is on it
    saved(replace(mailed, resolved_at=cutoff, recovery_notified=True))  # all told

    found = db.transaction(fault_store.states_owing_mail, cutoff)
    assert sorted(fault_id for fault_id, _ in found) == owing
    # What is left out is what the engine would find owing nothing, an interval on.
    every = db.transaction(fault_store.states_owing_mail)
    left_out = [state for fault_id, state in every if fault_id not in owing]
    policy = NotificationPolicy(reminder_interval_s=3600)
    now = cutoff + timedelta(seconds=3600)
    assert len(left_out) == 2  # the resolved one that told all is not even in the sweep's work
    assert [notifications_due(state, now, (), policy) for state in left_out] == [None, None]
    assert all(notifications_due(state, now, (), policy) for _, state in found)


def test_it_migrates_rows_written_by_the_previous_schema_without_loss(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            _customer_and_host(conn)
            for n, state in enumerate(STATES, start=1):
                conn.execute(sa.text(_OLD_INSERT), _old_row(n, state))
        migrate(engine)
        with engine.begin() as conn:
            rows = conn.execute(sa.select(faults).order_by(faults.c.id)).all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("faults")}
        assert [fault_store.engine_state(row) for row in rows] == STATES
        assert {"engine_state", "recovery_owed"}.isdisjoint(columns)
        # And back: the downgrade rebuilds the JSON, and upgrading again loses nothing.
        command.downgrade(alembic_config(engine), "0001")
        migrate(engine)
        with engine.begin() as conn:
            again = conn.execute(sa.select(faults).order_by(faults.c.id)).all()
        assert [fault_store.engine_state(row) for row in again] == STATES
    finally:
        engine.dispose()


_OLD_INSERT = """
INSERT INTO faults (id, customer_id, host_id, check_key, severity, title, detail, opened_at,
    resolved_at, last_notified_at, suppressed_by, flapping, recovery_owed, engine_state)
VALUES (:id, :customer_id, :host_id, :check_key, :severity, 'title', :detail, :opened_at,
    :resolved_at, :last_notified_at, :suppressed_by, :flapping, :recovery_owed, :engine_state)
"""


def _old_row(fault_id: int, state: FaultState) -> dict[str, object]:
    """A faults row as 0001's code wrote it: columns, and the same state again as JSON."""

    def naive(at: datetime | None) -> datetime | None:
        return None if at is None else at.replace(tzinfo=None)

    def iso(at: datetime | None) -> str | None:
        return None if at is None else at.isoformat()

    notified = None if state.notified_severity is None else state.notified_severity.value
    engine_state = {
        "key": {"customer_id": "acme", "host_id": state.key.host_id, "check": state.key.check_key},
        "severity": state.severity.value,
        "opened_at": iso(state.opened_at),
        "detail": state.detail,
        "flapping": state.flapping,
        "resolved_at": iso(state.resolved_at),
        "acknowledged_at": None,
        "suppressed_by": state.suppressed_by,
        "notified_severity": notified,
        "last_notified_at": iso(state.last_notified_at),
        "recovery_notified": state.recovery_notified,
    }
    return {
        "id": fault_id,
        "customer_id": state.key.customer_id,
        "host_id": state.key.host_id,
        "check_key": state.key.check_key,
        "severity": state.severity.value,
        "detail": state.detail,
        "opened_at": naive(state.opened_at),
        "resolved_at": naive(state.resolved_at),
        "last_notified_at": naive(state.last_notified_at),
        "suppressed_by": state.suppressed_by,
        "flapping": state.flapping,
        "recovery_owed": state.resolved_at is not None and not state.recovery_notified,
        "engine_state": json.dumps(engine_state),
    }
