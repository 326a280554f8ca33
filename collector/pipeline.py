"""Reports and sweeps through the fault engine, inside one database transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from collector.config import CollectorConfig
from collector.store import reports as report_store


def process_reports(conn: Connection, config: CollectorConfig, now: datetime) -> int:
    rows = report_store.unprocessed_reports(conn)
    report_store.mark_processed(conn, [row.id for row in rows], now)
    return len(rows)


def sweep(conn: Connection, config: CollectorConfig, now: datetime) -> None:
    return None
