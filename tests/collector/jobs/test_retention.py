"""The leader's pruning: old reports and figures go, in batches; unevaluated reports never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from collector.config.settings import HistorySettings
from collector.jobs.retention import Retention
from collector.store import inventory
from collector.store import series as series_store
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports, stored_seqs
from collector.store.schema import reports
from collector.store.series import Sample
from tests.support.clock import Clock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HISTORY = HistorySettings(prune_batch=3)


def two_hosts(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "web-1", "acme", NOW)
    inventory.add_host(conn, "web-2", "acme", NOW)


def received(conn: Connection, host_id: str, seqs: range, at: datetime) -> None:
    batch = [IncomingReport(host_id, seq, at, {"seq": seq}) for seq in seqs]
    store_reports(conn, batch, at)


def evaluate(conn: Connection, host_id: str, seqs: list[int]) -> None:
    conn.execute(
        update(reports)
        .where(reports.c.host_id == host_id, reports.c.seq.in_(seqs))
        .values(processed_at=NOW)
    )


async def test_it_deletes_evaluated_reports_past_retention_in_batches(db: Database) -> None:
    await db.write(two_hosts)
    await db.write(received, "web-1", range(1, 9), NOW - timedelta(days=8))
    await db.write(received, "web-1", range(9, 11), NOW - timedelta(days=1))
    await db.write(evaluate, "web-1", list(range(1, 11)))
    deleted = await Retention(db, HISTORY, Clock(NOW)).prune_reports()
    assert deleted == 8
    assert await db.read(stored_seqs, "web-1") == [9, 10]


async def test_it_never_deletes_a_report_not_evaluated_yet(db: Database) -> None:
    await db.write(two_hosts)
    await db.write(received, "web-1", range(1, 6), NOW - timedelta(days=30))
    await db.write(received, "web-1", range(6, 7), NOW)
    await db.write(evaluate, "web-1", [1, 3, 6])
    await Retention(db, HISTORY, Clock(NOW)).prune_reports()
    assert await db.read(stored_seqs, "web-1") == [2, 4, 5, 6]


async def test_it_keeps_each_hosts_newest_report_whatever_its_age(db: Database) -> None:
    await db.write(two_hosts)
    await db.write(received, "web-2", range(1, 4), NOW - timedelta(days=30))
    await db.write(evaluate, "web-2", [1, 2, 3])
    await Retention(db, HISTORY, Clock(NOW)).prune_reports()
    assert await db.read(stored_seqs, "web-2") == [3]


def figures(conn: Connection) -> None:
    ages = {"raw": timedelta(hours=47), "gone": timedelta(days=500)}
    samples = [
        Sample("web-1", metric, int((NOW - age).timestamp()), 1.0) for metric, age in ages.items()
    ]
    samples.append(Sample("web-1", "raw", int((NOW - timedelta(days=3)).timestamp()), 2.0))
    series_store.record(conn, samples)


def resolutions(conn: Connection, metric: str) -> dict[str, int]:
    series_id = series_store.metrics_of(conn, "web-1")[metric]
    found = {}
    for resolution in (series_store.RAW, *series_store.ROLLUPS):
        points = series_store.points(conn, series_id, resolution, 0, 2**40)
        found[resolution.name] = len(points)
    return found


async def test_it_prunes_each_resolution_after_its_own_retention(db: Database) -> None:
    await db.write(two_hosts)
    await db.write(figures)
    await Retention(db, HISTORY, Clock(NOW)).prune_series()
    assert await db.read(resolutions, "raw") == {"raw": 1, "5m": 2, "1h": 2}
    known = await db.read(lambda conn: set(series_store.metrics_of(conn, "web-1")))
    assert known == {"raw"}
    assert await db.read(lambda conn: conn.scalar(select(reports.c.id))) is None
