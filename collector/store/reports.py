"""Storing agent reports: each ``(host, seq)`` once, the host's last-seen moved forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from collector.store.schema import hosts, reports


@dataclass(frozen=True)
class IncomingReport:
    host_id: str
    seq: int
    sampled_at: datetime
    body: dict[str, Any]


def store_reports(conn: Connection, batch: Sequence[IncomingReport], now: datetime) -> list[bool]:
    """Insert the reports; returns, per report, whether it was new (False: stored before)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    outcome = []
    for item in batch:
        statement = (
            insert(reports)
            .values(
                host_id=item.host_id,
                seq=item.seq,
                sampled_at=item.sampled_at,
                received_at=now,
                body=item.body,
            )
            .on_conflict_do_nothing(index_elements=["host_id", "seq"])
            .returning(reports.c.id)
        )
        outcome.append(conn.execute(statement).first() is not None)
    for host_id in {item.host_id for item in batch}:
        newest = max(item.seq for item in batch if item.host_id == host_id)
        higher = case(
            (or_(hosts.c.last_seq.is_(None), hosts.c.last_seq < newest), newest),
            else_=hosts.c.last_seq,
        )
        conn.execute(
            update(hosts).where(hosts.c.id == host_id).values(last_seen_at=now, last_seq=higher)
        )
    return outcome


def unprocessed_reports(conn: Connection, limit: int = 50) -> list[Any]:
    """Reports the fault engine has not evaluated yet, oldest first.

    Batches stay small because evaluation shares the writer thread with ingest: a long
    evaluation transaction would hold every waiting agent's answer behind it.
    """
    query = (
        select(reports.c.id, reports.c.host_id, reports.c.seq, reports.c.sampled_at, reports.c.body)
        .where(reports.c.processed_at.is_(None))
        .order_by(reports.c.id)
        .limit(limit)
    )
    return list(conn.execute(query))


def mark_processed(conn: Connection, report_ids: Sequence[int], now: datetime) -> None:
    if report_ids:
        conn.execute(update(reports).where(reports.c.id.in_(report_ids)).values(processed_at=now))


def report_count(conn: Connection, host_id: str | None = None) -> int:
    query = select(func.count()).select_from(reports)
    if host_id is not None:
        query = query.where(reports.c.host_id == host_id)
    return int(conn.scalar(query) or 0)


def stored_seqs(conn: Connection, host_id: str) -> list[int]:
    query = select(reports.c.seq).where(reports.c.host_id == host_id).order_by(reports.c.seq)
    return list(conn.scalars(query))
