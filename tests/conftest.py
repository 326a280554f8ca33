"""Fixtures shared by every layer: databases (SQLite and PostgreSQL) and a collector config."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.store.database import Database
from tests.support.database import migrated_database
from tests.support.postgres import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throwaway schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faultdesk.db'}"
        return
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faultdesk.db'}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """``database_url`` migrated to the newest schema, behind the collector's ``Database``.

    A module that runs on SQLite alone overrides ``database_url`` to return ``sqlite_url``.
    """
    with migrated_database(database_url) as database:
        yield database
