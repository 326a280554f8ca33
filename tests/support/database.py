"""A migrated database behind the collector's ``Database`` for the length of a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from collector.store.database import Database
from collector.store.engines import make_engine, migrate


@contextmanager
def migrated_database(url: str) -> Iterator[Database]:
    """``url`` migrated to the newest schema; its connections are closed afterwards."""
    engine = make_engine(url)
    migrate(engine)
    database = Database(engine)
    try:
        yield database
    finally:
        database.close()
