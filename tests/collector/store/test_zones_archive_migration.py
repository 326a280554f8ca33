"""Migrating to operators' zones, archived customers and hosts and compressed report bodies
keeps every row, on SQLite and PostgreSQL: nothing starts archived, every operator reads the
vendor's zone, and reports stored before read as they did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, select, text

from collector.store.engines import alembic_config, make_engine, migrate
from collector.store.people_schema import operators
from collector.store.reports import IncomingReport, latest_body, store_reports
from collector.store.schema import customers, hosts
from tests.collector.store.test_series_migration import add_old_host

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD_BODY = {"probes": {"system": {"status": "ok", "metrics": {"cpu_percent": 12.5}}}}
NEW_BODY = {
    "probes": {"system": {"status": "ok", "metrics": {f"disk{n}": n / 3 for n in range(40)}}}
}


def test_it_keeps_every_customer_host_and_operator(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_series")  # the revision before
        with engine.begin() as conn:
            add_old_host(conn)
            conn.execute(
                text(
                    "INSERT INTO operators (username, password_hash, created_at, role)"
                    " VALUES ('olga', 'x', :at, 'admin')"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO reports (host_id, seq, sampled_at, received_at, body)"
                    " VALUES ('web-1', 1, :at, :at, :body)"
                ),
                {"at": NOW.replace(tzinfo=None), "body": json.dumps(OLD_BODY)},
            )
        migrate(engine)
        with engine.begin() as conn:
            assert conn.execute(select(customers.c.id, customers.c.archived_at)).all() == [
                ("acme", None)
            ]
            assert conn.execute(select(hosts.c.id, hosts.c.archived_at)).all() == [("web-1", None)]
            zones = conn.execute(select(operators.c.username, operators.c.timezone)).all()
            assert zones == [("olga", None)]
            assert latest_body(conn, "web-1") == OLD_BODY  # stored before, read as it was
            store_reports(conn, [IncomingReport("web-1", 2, NOW, NEW_BODY)], NOW)
            assert latest_body(conn, "web-1") == NEW_BODY
            stored = conn.scalar(text("SELECT body FROM reports WHERE seq = 2"))
            assert bytes(stored)[:1] == b"x"  # a zlib stream
            assert len(bytes(stored)) < len(json.dumps(NEW_BODY)) / 2
        command.downgrade(alembic_config(engine), "0003_series")
        assert "archived_at" not in {c["name"] for c in inspect(engine).get_columns("hosts")}
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM hosts")).scalar() == 1
            bodies = conn.execute(text("SELECT body FROM reports ORDER BY seq")).scalars().all()
            # Back to plain JSON (PostgreSQL's driver decodes its json type).
            read = [b if isinstance(b, dict) else json.loads(b) for b in bodies]
            assert read == [OLD_BODY, NEW_BODY]
    finally:
        engine.dispose()
