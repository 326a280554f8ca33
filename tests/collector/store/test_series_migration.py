"""Migrating to the figures' tables keeps every report, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, inspect, text

from collector.store.engines import make_engine, migrate
from collector.store.reports import report_count

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def add_old_host(conn: Connection) -> None:
    """A customer and a host in the columns the old schema has (today's store code reads
    columns added since)."""
    conn.execute(
        text("INSERT INTO customers (id, name, created_at) VALUES ('acme', 'Acme', :at)"),
        {"at": NOW.replace(tzinfo=None)},
    )
    conn.execute(
        text(
            "INSERT INTO hosts (id, customer_id, name, kind, key, created_at)"
            " VALUES ('web-1', 'acme', 'web-1', 'server', 'k', :at)"
        ),
        {"at": NOW.replace(tzinfo=None)},
    )


def test_it_keeps_every_report_when_migrating_from_the_previous_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_agent_interval")  # the revision before the series tables
        with engine.begin() as conn:
            add_old_host(conn)
            # Today's store compresses bodies, which the old schema's column does not take.
            for seq in range(1, 51):
                conn.execute(
                    text(
                        "INSERT INTO reports (host_id, seq, sampled_at, received_at, body)"
                        " VALUES ('web-1', :seq, :sampled, :at, :body)"
                    ),
                    {
                        "seq": seq,
                        "sampled": (NOW - timedelta(days=seq)).replace(tzinfo=None),
                        "at": NOW.replace(tzinfo=None),
                        "body": json.dumps({"seq": seq}),
                    },
                )
        migrate(engine)
        with engine.begin() as conn:
            assert report_count(conn, "web-1") == 50
        tables = set(inspect(engine).get_table_names())
        assert {"series", "series_raw", "series_5m", "series_1h"} <= tables
    finally:
        engine.dispose()
