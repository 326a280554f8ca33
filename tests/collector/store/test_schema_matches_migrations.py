"""The migrations build exactly the schema the code declares (collector/store/schema.py)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from collector.store.database import Database
from collector.store.schema import metadata  # every table: schema imports the others

# On SQLite a column's type is a declaration only, and changing one means rebuilding the table;
# migration 0006_zones_archive leaves ``reports.body`` declared JSON there on purpose (rows are
# compressed bytes either way; PostgreSQL's column does become BYTEA).
_SQLITE_DECLARATIONS_LEFT = {("reports", "body")}


def _differences(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = compare_metadata(context, metadata)
    if db.engine.dialect.name != "sqlite":
        return found
    return [d for d in found if not _declaration_left(d)]


def _declaration_left(difference: Any) -> bool:
    """A column-type difference is a list holding one ``("modify_type", schema, table, column,
    …)`` tuple."""
    if not isinstance(difference, list) or difference[0][0] != "modify_type":
        return False
    return tuple(difference[0][2:4]) in _SQLITE_DECLARATIONS_LEFT


def test_migrating_to_head_builds_the_declared_schema(db: Database) -> None:
    assert _differences(db) == []
