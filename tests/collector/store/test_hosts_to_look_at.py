"""The overview reads only hosts that may need someone and counts the rest; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, update

from collector.store import archive, faults, inventory
from collector.store.database import Database
from collector.store.schema import hosts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fleet(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_customer(conn, "zed", "Zed", NOW)
    seen = {
        "fresh": NOW - timedelta(seconds=30),  # on time at 60 s
        "late": NOW - timedelta(minutes=10),
        "faulty": NOW - timedelta(seconds=30),  # on time, with an open fault
        "slow": NOW - timedelta(minutes=10),  # on time at its own 3600 s
        "gone": NOW - timedelta(days=3),  # archived
    }
    for host_id, at in seen.items():
        inventory.add_host(conn, host_id, "acme", NOW, interval_s=60)
        conn.execute(update(hosts).where(hosts.c.id == host_id).values(last_seen_at=at))
    conn.execute(update(hosts).where(hosts.c.id == "slow").values(interval_s=3600))
    inventory.add_host(conn, "new", "zed", NOW)  # never reported
    inventory.add_host(conn, "zed1", "zed", NOW)
    conn.execute(update(hosts).where(hosts.c.id == "zed1").values(last_seen_at=NOW))
    faults.open_fault(
        conn, host_id="faulty", check_key="disk:/", severity="minor", title="Disk", detail="",
        at=NOW,
    )  # fmt: skip
    archive.archive_hosts(conn, ["gone"], NOW, "test")


def test_it_reads_late_silent_and_faulty_hosts_and_counts_every_host(db: Database) -> None:
    db.transaction(fleet)
    looked_at = db.transaction(lambda conn: inventory.hosts_to_look_at(conn, NOW, 3))
    # "slow" is read too (shortest interval is 60 s), then found on time by its own interval.
    assert sorted(h.id for h in looked_at) == ["faulty", "late", "new", "slow"]
    assert db.transaction(inventory.host_counts) == {"acme": 4, "zed": 2}


def test_it_reads_every_host_when_one_reports_no_interval_of_its_own(db: Database) -> None:
    db.transaction(fleet)
    db.transaction(
        lambda conn: conn.execute(update(hosts).where(hosts.c.id == "zed1").values(interval_s=0))
    )
    looked_at = db.transaction(lambda conn: inventory.hosts_to_look_at(conn, NOW, 3))
    # A zero interval leaves no host certainly on time: "fresh", seen 30 s ago, is read too;
    # only a host seen this very moment is not.
    assert sorted(h.id for h in looked_at) == ["faulty", "fresh", "late", "new", "slow"]
