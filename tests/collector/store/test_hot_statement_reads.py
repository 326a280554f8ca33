"""Hot statements read with Core's own SQL on SQLite's cursor: they must read exactly what Core
reads, each value processed as Core processes it (times, flags, JSON, labels, NULLs), on SQLite
and PostgreSQL alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, bindparam, func, literal, select

from collector.commands import simulated_clock
from collector.domain.maintenance import MaintenanceWindow
from collector.store import fault_mail, hot_statements, maintenance, vendor_outages
from collector.store import faults as fault_store
from collector.store.database import Database
from collector.store.hot_statements import HotFixedIn, HotStatement
from collector.store.schema import faults, incidents
from tests.collector.commands.scenarios import PAGING, simulate
from tests.collector.store.conftest import ACME_AT
from tests.support.cli import Cli
from tests.support.incidents import add_customer, lose_access, silence_agent

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
#: Not UTC: bound as Core binds it, in naive UTC.
LATER = datetime(2026, 11, 9, 12, 30, tzinfo=timezone(timedelta(hours=1)))

#: Times bound and read, a flag, a literal list, a count: each processed as Core does.
_FAULTS = select(
    faults.c.id, faults.c.host_id, faults.c.opened_at, faults.c.resolved_at, faults.c.flapping,
    (faults.c.resolved_at.is_(None)).label("open"), literal(1).label("one"),
).where(
    faults.c.opened_at >= bindparam("since"), faults.c.check_key.in_(["agent.heartbeat", "x"])
).order_by(faults.c.id)  # fmt: skip
_COUNT = select(func.count()).select_from(faults).where(faults.c.host_id.is_not(None))


def _core(conn: Connection, statement: Any, params: Mapping[str, Any] | None) -> list[Any]:
    return [tuple(row) for row in conn.execute(statement, params)]


def _as_tuples(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [tuple(row) for row in rows]


def _both(
    db: Database, statement: HotStatement, params: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    """The rows of ``statement`` by Core, then hot, each in its own transaction."""
    core = db.transaction(_core, statement.statement, params)
    return core, _as_tuples(db.transaction(statement.rows, params))


def _fleet(conn: Connection) -> None:
    for customer in ("acme", "globex"):
        add_customer(conn, customer, "cat1", MONDAY)
    silence_agent(conn, "acme-pbx", MONDAY, MONDAY + timedelta(minutes=4))
    silence_agent(conn, "globex-pbx", MONDAY + timedelta(minutes=1), None)
    lose_access(conn, "acme-pbx", MONDAY, None)


def test_it_reads_what_core_reads(db: Database) -> None:
    db.transaction(_fleet)

    def both(conn: Connection, statement: Any, params: Any) -> tuple[list[Any], list[Any]]:
        hot = _as_tuples(HotStatement(statement).rows(conn, params))
        return hot, _core(conn, statement, params)

    for since in (MONDAY - timedelta(days=1), MONDAY + timedelta(seconds=30)):
        hot, core = db.transaction(both, _FAULTS, {"since": since})
        assert hot == core and core
        assert isinstance(hot[0][2], datetime) and hot[0][2].tzinfo is UTC
    hot, core = db.transaction(both, _COUNT, None)
    assert hot == core == [(3,)]


def test_it_reads_rows_by_name(db: Database) -> None:
    db.transaction(_fleet)
    read = HotStatement(_FAULTS)
    first = db.transaction(read.mappings, {"since": MONDAY - timedelta(days=1)})[0]
    assert first["host_id"] == "acme-pbx" and first["opened_at"] == MONDAY
    assert first["open"] is False and first["one"] == 1


def test_it_binds_a_short_list_as_fixed_in_does_and_a_long_one_through_core(
    db: Database,
) -> None:
    db.transaction(_fleet)
    read = HotFixedIn(faults.c.host_id, select(faults.c.id).order_by(faults.c.id).where, "hosts")
    few = db.transaction(read.rows, {"hosts": ["acme-pbx", "globex-pbx"]})
    many = db.transaction(read.rows, {"hosts": ["globex-pbx"] + [f"h{i}" for i in range(99)]})
    assert _as_tuples(few) == [(1,), (2,), (3,)] and _as_tuples(many) == [(2,)]


def test_it_binds_a_fleets_list_to_fixed_parameters_on_sqlite(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.transaction(_fleet)
    read = HotFixedIn(faults.c.host_id, select(faults.c.id).order_by(faults.c.id).where, "hosts")
    hosts = ["acme-pbx"] + [f"h{i}" for i in range(199)]
    if db.engine.dialect.name == "sqlite":  # not through Core: its list parameter
        monkeypatch.setattr(Connection, "execute", None)
    assert _as_tuples(db.transaction(read.rows, {"hosts": hosts})) == [(1,), (3,)]


def test_it_refuses_a_list_parameter_on_sqlite(acme_db: Database) -> None:
    """(Elsewhere a hot statement is Core's, which binds lists.)"""
    listed = select(incidents.c.id).where(incidents.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="list parameter"):
        acme_db.transaction(HotStatement(listed).rows, {"ids": [1]})


def test_the_fault_mail_read_reads_what_core_reads(acme_db: Database) -> None:
    _, _, read = fault_mail._statements("sqlite")
    core, hot = _both(acme_db, read, {"fault_id": 1, "at": LATER})
    assert hot == core
    row = dict(zip(read.keys, hot[0], strict=True))
    assert row["opened_at"] == ACME_AT and row["resolved_at"] is None and row["flapping"] is False
    assert row["explains_others"] is True and row["incident_covered"] is None
    assert sorted(email for _, email in row["contacts"]) == ["al@acme.example", "jo@acme.example"]
    assert (row["host_name"], row["customer_name"], row["contract_tier"]) == (
        "pbx ✓",
        "Acmé",
        "cat2",
    )


def test_the_engines_hot_reads_read_what_core_reads(acme_db: Database) -> None:
    def window(conn: sa.Connection) -> None:
        spec = MaintenanceWindow("0", "once", ACME_AT, LATER, host_id="pbx", reason="swap ✓")
        maintenance.add_window(conn, spec, "acme", "ops", ACME_AT)

    acme_db.transaction(window)
    windows = acme_db.transaction(maintenance.active_windows)
    assert [(w.window_id, w.ends_at, w.reason) for w in windows] == [("1", LATER, "swap ✓")]
    for statement, params in (
        (fault_store._OPEN_STATES, {"customer_id": "acme"}),
        (maintenance._ACTIVE, {}),
    ):
        core, hot = _both(acme_db, statement, params)
        assert hot == core and hot


def test_every_hot_read_of_a_simulated_night_reads_what_core_reads(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads the simulation runs hot, each checked against Core at every call (a write
    that returns rows is not run twice)."""
    compared: Counter[int] = Counter()
    hot = HotStatement.rows

    def checked(
        self: HotStatement, conn: Connection, params: Mapping[str, Any] | None = None
    ) -> Sequence[Sequence[Any]]:
        found = hot(self, conn, params)
        if isinstance(self.statement, sa.Select):
            assert _as_tuples(found) == _core(conn, self.statement, params)
            compared[id(self)] += 1
        return found

    monkeypatch.setattr(hot_statements.HotStatement, "rows", checked)
    simulate(cli, tmp_path, PAGING)
    hottest = (
        simulated_clock._SINCE_READ, simulated_clock._MAILED_SINCE,
        fault_store._MAYBE_OWING_MAIL, vendor_outages._CURRENT_AND_FAILING,
    )  # fmt: skip
    assert all(compared[id(read)] for read in hottest)
    assert len(compared) > len(hottest)  # the remote faults' too
