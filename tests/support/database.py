"""A migrated database behind the collector's ``Database`` for the length of a test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from tests.support.postgres import postgres_schema_url


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


@contextmanager
def another_database_url(first: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``first``: a reference to compare with."""
    if first.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as other:
        yield other
