"""Migrating to the figures' tables keeps every report, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from collector.store import inventory
from collector.store.engines import make_engine, migrate
from collector.store.reports import IncomingReport, report_count, store_reports

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_it_keeps_every_report_when_migrating_from_the_previous_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_agent_interval")  # the revision before the series tables
        with engine.begin() as conn:
            inventory.add_customer(conn, "acme", "Acme", NOW)
            inventory.add_host(conn, "web-1", "acme", NOW)
            batch = [
                IncomingReport("web-1", seq, NOW - timedelta(days=seq), {"seq": seq})
                for seq in range(1, 51)
            ]
            store_reports(conn, batch, NOW)
        migrate(engine)
        with engine.begin() as conn:
            assert report_count(conn, "web-1") == 50
        tables = set(inspect(engine).get_table_names())
        assert {"series", "series_raw", "series_5m", "series_1h"} <= tables
    finally:
        engine.dispose()
