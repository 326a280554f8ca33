"""Migrating to operators' zones and archived customers and hosts keeps every row, on SQLite
and PostgreSQL: nothing starts archived, and every operator reads the vendor's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, select, text

from collector.store.engines import alembic_config, make_engine, migrate
from collector.store.schema import customers, hosts, operators
from tests.collector.store.test_series_migration import add_old_host

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


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
        migrate(engine)
        with engine.begin() as conn:
            assert conn.execute(select(customers.c.id, customers.c.archived_at)).all() == [
                ("acme", None)
            ]
            assert conn.execute(select(hosts.c.id, hosts.c.archived_at)).all() == [("web-1", None)]
            zones = conn.execute(select(operators.c.username, operators.c.timezone)).all()
            assert zones == [("olga", None)]
        command.downgrade(alembic_config(engine), "0003_series")
        assert "archived_at" not in {c["name"] for c in inspect(engine).get_columns("hosts")}
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM hosts")).scalar() == 1
    finally:
        engine.dispose()
