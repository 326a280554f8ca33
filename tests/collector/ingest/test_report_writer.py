"""Ingest's moving parts: the host key cache and the group-committing report writer."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.ingest.writer import HostKeys, ReportWriter
from collector.store import inventory
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.reports import (
    IncomingReport,
    store_claimed,
    store_reports,
    unprocessed_count,
)
from collector.store.schema import hosts, reports

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    migrate(engine)
    database = Database(engine)
    database.transaction(_seed)
    yield database
    database.close()


def _seed(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", NOW)
    for host in ("pbx-1", "pbx-2"):
        inventory.add_host(conn, host, "acme", NOW, key="ab" * 32)


def _report(host: str, seq: int, *, as_sent: bool = True) -> IncomingReport:
    body = protocol.build_report(
        host_id=host, seq=seq, sampled_at=NOW, interval_s=60, agent_version="t", probes={}
    )
    text = protocol.encode(body).decode() if as_sent else None
    return IncomingReport(host, seq, NOW, body, text)


def _stored(conn: Connection) -> list[tuple[str, int, Any]]:
    query = select(reports.c.host_id, reports.c.seq, reports.c.body).order_by(reports.c.id)
    return [tuple(row) for row in conn.execute(query)]


def _last_seqs(conn: Connection) -> dict[str, int]:
    return {row.id: row.last_seq for row in conn.execute(select(hosts.c.id, hosts.c.last_seq))}


def test_it_stores_each_seq_once_even_twice_in_one_batch(db: Database) -> None:
    batch = [_report("pbx-1", 1), _report("pbx-1", 1), _report("pbx-2", 7, as_sent=False)]
    assert db.transaction(store_reports, batch, NOW) == [True, False, True]
    assert db.transaction(store_reports, [_report("pbx-1", 1)], NOW) == [False]

    stored = db.transaction(_stored)
    assert [(host, seq) for host, seq, _ in stored] == [("pbx-1", 1), ("pbx-2", 7)]
    assert [body for _, _, body in stored] == [batch[0].body, batch[2].body]
    assert db.transaction(_last_seqs) == {"pbx-1": 1, "pbx-2": 7}


def test_it_stores_reports_claimed_returning_only_the_new_ones(db: Database) -> None:
    db.transaction(store_reports, [_report("pbx-1", 1)], NOW)
    batch = [_report("pbx-2", 7), _report("pbx-1", 1), _report("pbx-1", 2), _report("pbx-2", 7)]

    claimed = db.transaction(store_claimed, batch, NOW)
    assert [(row.host_id, row.seq, row.body) for row in claimed] == [
        ("pbx-2", 7, batch[0].body),
        ("pbx-1", 2, batch[2].body),
    ]
    assert [row.id for row in claimed] == sorted(row.id for row in claimed)
    assert db.transaction(_last_seqs) == {"pbx-1": 2, "pbx-2": 7}
    assert db.transaction(unprocessed_count) == 1  # only the one stored unclaimed before


def test_it_moves_last_seen_only_for_hosts_with_a_new_report(db: Database) -> None:
    db.transaction(store_reports, [_report("pbx-1", 1)], NOW)
    later = NOW + timedelta(minutes=5)
    batch = [_report("pbx-1", 1), _report("pbx-2", 7)]  # a replay, and a new report
    assert db.transaction(store_reports, batch, later) == [False, True]
    assert db.transaction(_last_seen) == {"pbx-1": NOW, "pbx-2": later}


def _last_seen(conn: Connection) -> dict[str, datetime]:
    return {
        row.id: row.last_seen_at for row in conn.execute(select(hosts.c.id, hosts.c.last_seen_at))
    }


async def test_it_answers_each_sender_after_the_commit_and_says_which_reports_were_new(
    db: Database,
) -> None:
    committed: list[Sequence[IncomingReport]] = []
    writer = ReportWriter(db, lambda: NOW, on_committed=committed.append)
    writer.start()
    try:
        sent = [_report("pbx-1", seq) for seq in (1, 2, 2, 3)]
        answers = await asyncio.gather(*(writer.submit(report) for report in sent))
    finally:
        await writer.stop()

    assert answers == [True, True, False, True]
    assert sorted(r.seq for batch in committed for r in batch) == [1, 2, 3]
    assert len(await db.read(_stored)) == 3


async def test_it_reads_the_keys_once_for_a_burst_of_requests(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    real = inventory.host_keys

    def counted(conn: Connection) -> dict[str, bytes]:
        nonlocal reads
        reads += 1
        return real(conn)

    monkeypatch.setattr(inventory, "host_keys", counted)
    keys = HostKeys(db)
    found = await asyncio.gather(*(keys.get("pbx-1") for _ in range(20)))
    assert found == [b"ab" * 32] * 20
    assert reads == 1
    keys.forget()  # a key was rotated: the next lookup reads again
    assert await keys.get("pbx-2") == b"ab" * 32 and reads == 2


def test_it_keeps_the_body_as_the_agent_sent_it_on_sqlite(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'raw.db'}")
    migrate(engine)
    database = Database(engine)
    try:
        database.transaction(_seed)
        report = _report("pbx-1", 1)
        database.transaction(store_reports, [report], NOW)
        with engine.connect() as conn:
            packed = conn.exec_driver_sql("SELECT body FROM reports").scalar_one()
        text = zlib.decompress(packed).decode()  # compressed, otherwise byte for byte
        assert text == report.text and json.loads(text) == report.body
    finally:
        database.close()
