"""What dependencies read of a customer's hosts, on SQLite and PostgreSQL, in one query: each
live host's kind, and each host's checks and those raised, read from the stored states'
``raised`` flag alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from collector.domain.watches import WatchState
from collector.store import watch_states
from collector.store.database import Database
from collector.store.schema import check_states, customers, hosts
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


def _fleet(conn: sa.Connection) -> None:
    for customer in ("acme", "other"):
        conn.execute(sa.insert(customers).values(id=customer, name=customer, created_at=T0))
    rows = [
        ("pbx", "acme", "pbx", None),
        ("files", "acme", "server", None),
        ("gone", "acme", "switch", T0),  # archived: history only
        ("bare", "acme", "router", None),  # no check states yet
        ("theirs", "other", "pbx", None),
    ]
    for host_id, customer, kind, archived in rows:
        conn.execute(
            sa.insert(hosts).values(
                id=host_id, customer_id=customer, name=host_id, kind=kind, key="k",
                created_at=T0, interval_s=60.0, archived_at=archived,
            )
        )  # fmt: skip
    states = {
        "pbx": {"disk:/": WatchState("disk:/", raised=True), "port:5038": WatchState("port:5038")},
        "files": {"disk:/": WatchState("disk:/", bad_count=2)},
        "gone": {"agent.heartbeat": WatchState("agent.heartbeat", raised=True)},
        "theirs": {"disk:/": WatchState("disk:/", raised=True)},
    }
    watch_states.save_many(conn, states, T0)


def test_it_reads_kinds_checks_and_raised_checks_of_the_customers_hosts(db: Database) -> None:
    db.transaction(_fleet)
    kinds, facts = db.transaction(watch_states.kinds_and_raised, "acme")
    assert kinds == {"pbx": "pbx", "files": "server", "bare": "router"}
    assert facts == {
        "bare": (set(), set()),
        "files": ({"disk:/"}, set()),
        "gone": ({"agent.heartbeat"}, {"agent.heartbeat"}),
        "pbx": ({"disk:/", "port:5038"}, {"disk:/"}),
    }
    assert list(facts) == sorted(facts)  # in the store's host order
    assert db.transaction(watch_states.raised_by_host, "acme") == facts


def test_it_reads_on_sqlite_what_the_core_statement_reads(sqlite_url: str) -> None:
    # SQLite reads hot (``hot_statements``), parsing a state's JSON only where its text
    # names "raised": a state whose detail is the word, or with the flag written out false,
    # must still read as Core's JSON read does.
    with migrated_database(sqlite_url) as sqlite_db:
        sqlite_db.transaction(_fleet)
        mentions = WatchState("port:5060", bad_count=1, detail="raised")
        watch_states_of = {"files": {"port:5060": mentions, "ssh": WatchState("ssh", raised=True)}}
        sqlite_db.transaction(watch_states.save_many, watch_states_of, T0)
        written_false = {"check_key": "disk:/", "raised": False, "bad_count": 2}
        sqlite_db.transaction(
            lambda conn: conn.execute(
                sa.update(check_states)
                .where(check_states.c.host_id == "files", check_states.c.check_key == "disk:/")
                .values(state=written_false)
            )
        )

        def both(conn: sa.Connection) -> tuple[list[Any], list[Any]]:
            core = conn.execute(watch_states._KEYS_OF_CUSTOMER, {"customer": "acme"})
            driver = watch_states._SQLITE_KEYS_OF_CUSTOMER.rows(conn, {"customer": "acme"})
            return [_truth(row) for row in core], [_truth(row) for row in driver]

        core, driver = sqlite_db.transaction(both)
        assert driver == core
        assert ("files", "server", True, "port:5060", False) in driver
        assert ("files", "server", True, "disk:/", False) in driver
        assert ("files", "server", True, "ssh", True) in driver


def _truth(row: Any) -> tuple[Any, ...]:
    host_id, kind, live, key, raised = row
    return host_id, kind, bool(live), key, bool(raised)
