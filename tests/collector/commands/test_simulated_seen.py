"""The simulation's last-seen times: stored as Core stores them, on the driver's cursor too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, text, update

from collector.commands import simulated_seen
from collector.store.database import Database
from collector.store.schema import hosts
from tests.support.incidents import add_customer

MONDAY = datetime(2026, 11, 2, 10, 0, 7, 123456, tzinfo=UTC)


def _fleet(conn: Connection) -> None:
    for customer in ("acme", "bolt", "core"):
        add_customer(conn, customer, None, MONDAY - timedelta(days=1))


def test_it_moves_each_hosts_last_seen_time(db: Database) -> None:
    db.transaction(_fleet)
    later = MONDAY + timedelta(minutes=1)
    seen = {"acme-pbx": MONDAY, "bolt-pbx": later, "core-pbx": MONDAY}
    db.transaction(simulated_seen.mark_seen, seen)

    def read(conn: Connection) -> dict[str, datetime]:
        return {host: at for host, at in conn.execute(select(hosts.c.id, hosts.c.last_seen_at))}

    assert db.transaction(read) == seen


def test_it_stores_the_time_as_core_stores_it(db: Database) -> None:
    db.transaction(_fleet)
    db.transaction(simulated_seen.mark_seen, {"acme-pbx": MONDAY})

    def by_core(conn: Connection) -> None:
        by_id = hosts.c.id.in_(["bolt-pbx"])
        conn.execute(update(hosts).where(by_id).values(last_seen_at=MONDAY))

    db.transaction(by_core)

    def stored(conn: Connection) -> list[object]:
        query = text("SELECT last_seen_at FROM hosts WHERE id IN ('acme-pbx', 'bolt-pbx')")
        return list(conn.execute(query).scalars())

    mine, core = db.transaction(stored)
    assert mine == core
