"""Storing probe results: a batch is stored exactly as one result at a time is (both through
``hot_statements``: a batch by ``execute_many``, a single result by ``insert``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Text, cast, select

from collector.probes.base import ProbeResult, Verdict
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.schema import probe_results

NOW = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _stored(conn: Connection) -> list[tuple[object, ...]]:
    """Every result row as stored, but for its id; its time and data as text too."""
    columns = [c for c in probe_results.c if c.name != "id"]
    columns += [cast(probe_results.c.at, Text), cast(probe_results.c.data, Text)]
    rows = conn.execute(select(*columns).order_by(probe_results.c.id))
    return [tuple(row) for row in rows]


def test_it_stores_a_batch_as_it_stores_one_result_at_a_time(db: Database) -> None:
    def store(conn: Connection) -> None:
        inventory.add_customer(conn, "acme", "Acme", NOW)
        inventory.add_host(conn, "pbx-1", "acme", NOW)
        check = probe_store.add_check(conn, "pbx-1", "ssh", "pbx-1:22", NOW)
        results = [
            ProbeResult("ssh", "pbx-1:22", Verdict.OK, 12.5, "", {"banner": "SSH-2.0-x", "n": 3}),
            ProbeResult("ssh", "pbx-1:22", Verdict.CRITICAL, None, "refused ✗", {}),
        ]
        for offset, result in enumerate(results):
            probe_store.record_result(conn, check, result, NOW + timedelta(minutes=offset))
        runs = [(check, r, NOW + timedelta(minutes=m)) for m, r in enumerate(results)]
        assert probe_store.record_results(conn, runs) == 2

    db.transaction(store)
    one_at_a_time, batch = db.transaction(_stored)[:2], db.transaction(_stored)[2:]
    assert batch == one_at_a_time
    assert batch[0][2] == NOW and batch[0][6] == {"banner": "SSH-2.0-x", "n": 3}
