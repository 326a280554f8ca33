"""A filtered overview reads only the hosts its filters may keep, and draws exactly the page that
reading and matching every host drew; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert, select, update

from collector.domain.maintenance import MaintenanceWindow
from collector.store import archive, inventory, probe_results
from collector.store import faults as fault_store
from collector.store import maintenance as maintenance_store
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.schema import faults, hosts
from collector.store.snmp import AlarmStatus
from dashboard.overview_hosts import FOLDS_INTO_ASCII
from dashboard.render import ENVIRONMENT
from dashboard.triage import Filters
from dashboard.views import OverviewFacts, overview_context, overview_facts, with_watched
from tests.support.database import migrated_database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MISSED = 3
CUSTOMERS = {  # id: (name, tier)
    "acme": ("Acme Telecom", "cat1"),
    "zed": ("Zed GmbH", "cat2"),
    "bob": ("Bob's 100%_Pizza", None),
    "strasse": ("Straße AG", "cat1"),
}
#: id: (customer, name, kind, seconds since its last report or None, open fault severity)
HOSTS: dict[str, tuple[str, str, str, int | None, str | None]] = {
    "a-ok": ("acme", "Core Router", "server", 30, None),
    "a-pbx": ("acme", "a-pbx", "pbx", 30, None),
    "a-late": ("acme", "a-late", "server", 600, None),
    "a-new": ("acme", "a-new", "pbx", None, None),
    "a-minor": ("acme", "a-minor", "server", 30, "minor"),
    "A-Crit": ("acme", "A-Crit", "pbx", 30, "critical"),
    "z1": ("zed", "MixedCase-PBX", "pbx", 30, None),
    "z2": ("zed", "z2", "server", 900, None),
    "z3": ("zed", "z3", "server", 30, None),
    "b1": ("bob", "b1", "server", 30, None),
    "b2": ("bob", "b2", "pbx", 30, "major"),
    "s1": ("bob", "Straße 5", "server", 30, None),
    "s2": ("strasse", "\u212aelvin box", "server", 30, None),  # with the Kelvin sign
    "s3": ("strasse", "s3", "server", 600, "minor"),
    "gone": ("acme", "gone", "pbx", 30, None),  # archived below
    "a-mitel": ("acme", "a-mitel", "mitel", None, None),  # no agent: polled below
    "z-mitel": ("zed", "z-mitel", "mitel", None, None),  # no agent, not polled yet
}
#: Searches in any case, some matching only by a check target, or as "ß" and "\u212a" fold.
SEARCHES = (
    "ACME tel", "core ROUTER", "a-crit", "10.0.0.7", "mixedcase-pbx", "zed-gw", "STRASSE",
    "straße", "KEL", "gmbh", "100%_", "_", "%", "s://ZED", "\\", "s", "nothing matches",
)  # fmt: skip
#: A host each search finds: by its name, its customer's, or a check target.
FOUND = {
    "core ROUTER": "a-ok", "mixedcase-pbx": "z1", "STRASSE": "s1", "zed-gw": "z3", "KEL": "s2",
    "ACME tel": "a-pbx", "10.0.0.7": "a-ok",
}  # fmt: skip
QUERIES = [
    {},
    {"tier": "unknown"},
    {"kind": "pbx"},
    {"kind": "server"},
    {"kind": "mitel"},
    {"kind": "mitel", "state": "ok"},
    {"kind": "mitel", "state": "waiting"},
    {"tier": "cat1"},
    {"tier": "cat2"},
    *({"state": state} for state in ("problem", "silent", "maintenance", "ok", "waiting")),
    *({"q": q} for q in SEARCHES),
    {"kind": "pbx", "state": "problem"},
    {"tier": "cat1", "q": "a-"},
    {"state": "ok", "q": "S"},
    {"kind": "server", "state": "maintenance", "tier": "cat2"},
    {"q": "bob", "state": "maintenance"},
]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """An empty database, SQLite or PostgreSQL, as the root conftest's (not the seeded one)."""
    with migrated_database(database_url) as database:
        yield database


def varied_fleet(conn: Connection) -> None:
    for customer_id, (name, tier) in CUSTOMERS.items():
        inventory.add_customer(conn, customer_id, name, NOW - timedelta(days=30))
        if tier:
            inventory.add_contract(conn, customer_id, tier, NOW - timedelta(days=30), None)
    for host_id, (customer_id, name, kind, seen, severity) in HOSTS.items():
        inventory.add_host(conn, host_id, customer_id, NOW, name=name, kind=kind, interval_s=60)
        at = None if seen is None else NOW - timedelta(seconds=seen)
        conn.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=at))
        if severity:
            fault_store.open_fault(
                conn, host_id=host_id, check_key="disk:/", severity=severity, title="Disk",
                detail="", at=NOW,
            )  # fmt: skip
    probe_results.add_check(conn, "a-ok", "tcp", "10.0.0.7:22", NOW)
    probe_results.add_check(conn, "z3", "http", "https://Zed-GW.example", NOW)
    conn.execute(
        insert(faults).values(
            customer_id="zed", host_id=None, check_key="site.down", severity="critical",
            title="Site down", detail="", opened_at=NOW,
        )
    )  # fmt: skip
    during = {"starts_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(hours=1)}
    maintenance_store.add_window(
        conn, MaintenanceWindow("w1", "once", host_id="z2", **during), "zed", "op", NOW
    )
    maintenance_store.add_window(
        conn, MaintenanceWindow("w2", "once", customer_id="bob", **during), "bob", "op", NOW
    )
    archive.archive_hosts(conn, ["gone"], NOW, "test")
    snmp_store.save_status(conn, AlarmStatus("a-mitel", "ok", polled_at=NOW), NOW)


def every_host_matched(conn: Connection, query: dict[str, str]) -> OverviewFacts:
    """The overview's facts as it read them before: every host, every check target."""
    tiers = inventory.current_tiers(conn, NOW)
    every = inventory.list_hosts(conn)
    facts = OverviewFacts(
        inventory.list_customers(conn),
        every,
        fault_store.list_faults(conn, open_only=True, limit=10_000),
        tiers,
        tuple(maintenance_store.active_windows(conn)),
        probe_results.targets_by_host(conn, select(hosts.c.id)),
        {},
        Filters.from_query(query, tiers.values()),
        every,
    )
    return with_watched(conn, facts)


def page(facts: OverviewFacts) -> str:
    """The overview's page as drawn for an operator."""
    page = {"now": NOW, "operator": None, "customer_user": None, "csrf_token": "", "path": "/"}
    context = page | {"display_zone": "UTC", "live_marker": ""}
    return ENVIRONMENT.get_template("overview.html").render(
        context | overview_context(facts, NOW, MISSED)
    )


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_it_draws_every_filter_exactly_as_matching_every_host_did(
    db: Database, query: dict[str, str]
) -> None:
    db.transaction(varied_fleet)
    before = db.transaction(every_host_matched, query)
    now_read = db.transaction(overview_facts, NOW, MISSED, query)
    assert page(now_read) == page(before)
    if query.get("q") in FOUND:  # whatever the case of the search and of what it finds
        assert f'data-host-id="{FOUND[query["q"]]}"' in page(now_read)
    if query == {"kind": "pbx"}:  # decided in SQL: only the matches are read
        assert sorted(h.id for h in now_read.matches or ()) == [
            "A-Crit",
            "a-new",
            "a-pbx",
            "b2",
            "z1",
        ]


def test_it_knows_every_character_that_folds_into_ascii() -> None:
    folding = {c for c in map(chr, range(128, 0x110000)) if any(f.isascii() for f in c.casefold())}
    assert set(FOLDS_INTO_ASCII) == folding


def _rows_read(tmp_path: Path, fleet: int, query: dict[str, str]) -> int:
    """Rows the filtered overview's read takes from SQLite (its row factory sees each one), on
    a fleet of ``fleet`` quiet servers besides the varied one."""
    counted = {"rows": 0, "on": False}

    def count_rows(dbapi_connection: Any, _record: Any) -> None:
        def row(_cursor: Any, values: tuple[Any, ...]) -> tuple[Any, ...]:
            counted["rows"] += counted["on"]
            return values

        dbapi_connection.row_factory = row

    engine = make_engine(f"sqlite:///{tmp_path / f'fleet{fleet}.db'}")
    event.listen(engine, "connect", count_rows)
    migrate(engine)
    db = Database(engine)
    try:
        db.transaction(varied_fleet)
        db.transaction(_quiet_servers, fleet)
        counted["on"] = True
        facts = db.transaction(overview_facts, NOW, MISSED, query)
        counted["on"] = False
    finally:
        db.close()
    assert facts.matches is not None
    return int(counted["rows"])


def _quiet_servers(conn: Connection, count: int) -> None:
    rows = [
        {
            "id": f"q{n:05}", "customer_id": "zed", "name": f"quiet {n}", "kind": "server",
            "key": "00" * 32, "interval_s": 60.0, "created_at": NOW, "last_seen_at": NOW,
        }
        for n in range(count)
    ]  # fmt: skip
    conn.execute(insert(hosts), rows)


@pytest.mark.parametrize(
    "query", [{"kind": "pbx"}, {"q": "mixedCASE"}, {"tier": "cat1"}, {"state": "problem"}]
)
def test_it_reads_as_many_rows_for_a_filter_whatever_the_fleet_beside_its_matches(
    tmp_path: Path, query: dict[str, str]
) -> None:
    """Matching every host read 400 more rows for 400 more quiet servers."""
    small, large = _rows_read(tmp_path, 10, query), _rows_read(tmp_path, 410, query)
    assert large == small, (small, large)
    assert large < 60
