"""Hosts looked up by id and by check id: exactly the hosts ``inventory.get_host`` reads through
SQLAlchemy Core, times and all (on SQLite the lookups go through the driver's cursor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, update

from collector.store import archive, inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.fixed_in import MOST_FIXED
from collector.store.host_lookup import hosts_by_id, hosts_of_checks
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import hosts

T0 = datetime(2026, 11, 2, 10, 0, 0, 123456, tzinfo=UTC)


def _fleet(conn: Connection) -> dict[str, int]:
    """Hosts with every kind of value a ``Host`` holds, and one check on each: check ids."""
    inventory.add_customer(conn, "acme", "Acme Ltd", T0)
    inventory.add_host(conn, "a-new", "acme", T0, kind="pbx")
    inventory.add_host(conn, "b-set", "acme", T0, kind="mitel", interval_s=20)
    inventory.add_host(conn, "c-reported", "acme", T0, name="Reported one")
    report = {"interval_s": 30, "probes": {}}
    store_reports(conn, [IncomingReport("c-reported", 7, T0, report)], T0 + timedelta(seconds=5))
    inventory.add_host(conn, "d-archived", "acme", T0)
    archive.archive_hosts(conn, ["d-archived"], T0 + timedelta(hours=1), "replaced")
    conn.execute(update(hosts).where(hosts.c.id == "b-set").values(agent_interval_s=12.5))
    return {
        host_id: probe_store.add_check(conn, host_id, "ssh", f"{host_id}:22", T0).id
        for host_id in ("a-new", "b-set", "c-reported", "d-archived")
    }


def test_it_reads_each_host_as_core_reads_it(db: Database) -> None:
    def check(conn: Connection) -> None:
        checks = _fleet(conn)
        expected = {host_id: inventory.get_host(conn, host_id) for host_id in checks}
        found = hosts_by_id(conn, [*checks, "z-missing"])
        # By repr: the times' zones too (a naive time would compare unequal, not fail).
        assert repr(sorted(found.items())) == repr(sorted(expected.items()))
        by_check = hosts_of_checks(conn, [*checks.values(), 999_999])
        assert repr(sorted(by_check.items())) == repr(
            sorted((checks[h], expected[h]) for h in checks)
        )

    db.transaction(check)


@pytest.mark.parametrize("count", [0, 1, 3, MOST_FIXED + 1])
def test_it_finds_exactly_the_hosts_named(db: Database, count: int) -> None:
    def check(conn: Connection) -> None:
        inventory.add_customer(conn, "acme", "Acme Ltd", T0)
        for i in range(MOST_FIXED + 3):
            inventory.add_host(conn, f"h{i:03}", "acme", T0)
        wanted = [f"h{i:03}" for i in range(count)]
        assert sorted(hosts_by_id(conn, wanted)) == wanted
        assert hosts_of_checks(conn, []) == {}

    db.transaction(check)
