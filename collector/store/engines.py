"""Engines and migrations: SQLite (WAL) by default, PostgreSQL by URL, one schema."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Dialect, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from collector.store.private_files import make_private_database

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


#: libpq's TCP settings for every PostgreSQL connection, unless the URL sets its own. Without
#: them a connection whose network goes silent hangs for the kernel's default of two hours;
#: with them a query on it fails within about a minute, and the collector carries on.
PG_TCP_DEFAULTS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # milliseconds sent data may go unacknowledged
}


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout,
    PostgreSQL connections TCP keepalives and a user timeout (``PG_TCP_DEFAULTS``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        tcp = {key: value for key, value in PG_TCP_DEFAULTS.items() if key not in parsed.query}
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=tcp)
    if parsed.database and parsed.database != ":memory:":
        make_private_database(Path(parsed.database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode is durable against process crashes (what "committed" promises here);
    # only a power cut can lose the last transactions, never corrupt the file.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def bind_processor(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of ``column`` before the driver sees it, for the few
    hot statements written as plain SQL: their values are stored exactly as Core stores them."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)


def result_processor(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value of ``column`` read back, for the few hot reads written
    as plain SQL (None: the driver's value as is), so they read exactly what Core reads."""
    processor: Callable[[Any], Any] | None
    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run at every start."""
    command.upgrade(alembic_config(engine), revision)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
